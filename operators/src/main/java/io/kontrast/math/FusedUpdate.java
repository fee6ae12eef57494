package io.kontrast.math;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The optimizer step and the key encoder's update in one vectorised pass over the four flat
 * buffers: SGD with momentum and weight decay (PyTorch's form: {@code v = μ v + (g + wd θ)},
 * {@code θ -= lr v}), then {@code θ_k = m θ_k + (1 - m) θ}.
 *
 * <p>As BLAS level-1 calls this is seven passes over buffers of megabytes that the step's GEMMs
 * have evicted from the caches; here it reads each buffer once and writes three. It needs the
 * incubating Vector API ({@code --add-modules=jdk.incubator.vector}, which the launcher, the
 * tests and the deployments pass); {@link #AVAILABLE} tells whether this JVM has it, and the
 * learner falls back to the BLAS calls when not.
 */
final class FusedUpdate {
    /** Whether the Vector API module is in this JVM's boot layer. */
    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private FusedUpdate() {}

    /** Floats per vector, the alignment for splitting the buffers between lanes. */
    static int lanesWidth() {
        return Vector.SPECIES.length();
    }

    /**
     * Updates elements {@code [from, to)} of the float buffers {@code params}, {@code velocity}
     * and {@code keyParams} from {@code grads}. Buffers are native-order byte views of whole
     * ND4J buffers; the method only reads and writes at absolute offsets, so two threads may
     * update disjoint ranges at once.
     */
    static void apply(ByteBuffer params, ByteBuffer grads, ByteBuffer velocity, ByteBuffer keyParams,
            int from, int to, float lr, float weightDecay, float momentum, float keyMomentum) {
        Vector.apply(params, grads, velocity, keyParams, from, to, lr, weightDecay, momentum, keyMomentum);
    }

    /** Holds the Vector API types, so that they load only when {@link #AVAILABLE}. */
    private static final class Vector {
        // 256 bits, as the views use: one vector shape in the JVM keeps the Vector API's shared
        // code monomorphic, so that the JIT compiles it to vector instructions in both places.
        static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_256;

        static void apply(ByteBuffer p, ByteBuffer g, ByteBuffer v, ByteBuffer k,
                int from, int to, float lr, float wd, float mu, float m) {
            ByteOrder order = ByteOrder.nativeOrder();
            float m1 = 1 - m;
            int width = SPECIES.length();
            int i = from;
            for (; i + width <= to; i += width) {
                int off = i * Float.BYTES;
                FloatVector pv = FloatVector.fromByteBuffer(SPECIES, p, off, order);
                FloatVector vv = FloatVector.fromByteBuffer(SPECIES, v, off, order).mul(mu)
                        .add(FloatVector.fromByteBuffer(SPECIES, g, off, order).add(pv.mul(wd)));
                pv = pv.sub(vv.mul(lr));
                FloatVector kv = FloatVector.fromByteBuffer(SPECIES, k, off, order).mul(m).add(pv.mul(m1));
                vv.intoByteBuffer(v, off, order);
                pv.intoByteBuffer(p, off, order);
                kv.intoByteBuffer(k, off, order);
            }
            for (; i < to; i++) {
                int off = i * Float.BYTES;
                float pi = p.getFloat(off);
                float vi = mu * v.getFloat(off) + (g.getFloat(off) + wd * pi);
                pi -= lr * vi;
                v.putFloat(off, vi);
                p.putFloat(off, pi);
                k.putFloat(off, m * k.getFloat(off) + m1 * pi);
            }
        }
    }
}
