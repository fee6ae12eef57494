package io.kontrast.math;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class FusedUpdateTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    /**
     * The one-pass update equals the BLAS level-1 sequence it replaces (SGD with momentum and
     * weight decay, then the EMA), over two ranges split at a vector boundary and a tail shorter
     * than a vector; elements outside the ranges stay untouched.
     */
    @Test
    void onePassEqualsTheBlasSequenceOverSplitRanges() {
        assertThat(FusedUpdate.AVAILABLE).as("the tests run with the Vector API module").isTrue();
        int width = FusedUpdate.lanesWidth();
        int n = 40 * width + 5;
        SplittableRandom rnd = new SplittableRandom(17);
        INDArray p = random(rnd, n), g = random(rnd, n), v = random(rnd, n), k = random(rnd, n);
        INDArray p0 = p.dup(), g0 = g.dup(), v0 = v.dup(), k0 = k.dup();
        float lr = 0.06f, wd = 1e-4f, mu = 0.9f, m = 0.99f;

        int half = n / 2 / width * width;
        FusedUpdate.apply(bytes(p), bytes(g), bytes(v), bytes(k), half, n - 1, lr, wd, mu, m);
        FusedUpdate.apply(bytes(p), bytes(g), bytes(v), bytes(k), 1, half, lr, wd, mu, m);

        var blas = Nd4j.getBlasWrapper().level1();
        INDArray gRef = g0.dup();
        blas.axpy(n, wd, p0, gRef);
        blas.scal(n, mu, v0);
        blas.axpy(n, 1.0, gRef, v0);
        blas.axpy(n, -lr, v0, p0);
        blas.scal(n, m, k0);
        blas.axpy(n, 1.0 - m, p0, k0);

        for (int i = 0; i < n; i++) {
            boolean inside = i >= 1 && i < n - 1;
            INDArray[][] pairs = {{p, p0}, {v, v0}, {k, k0}};
            for (INDArray[] pair : pairs) {
                float got = pair[0].getFloat(i);
                if (inside) {
                    assertThat(got).as("element %d", i).isCloseTo(pair[1].getFloat(i), org.assertj.core.data.Offset.offset(1e-6f));
                }
            }
        }
        INDArray untouched = random(new SplittableRandom(17), n);
        assertThat(p.getFloat(0)).isEqualTo(untouched.getFloat(0));
        assertThat(p.getFloat(n - 1)).isEqualTo(untouched.getFloat(n - 1));
        assertThat(g).as("the gradient is only read").isEqualTo(g0);
    }

    /** The learner takes the one-pass update here (CPU, module present). */
    @Test
    void theLearnerUsesIt() {
        try (MocoLearner learner = new MocoLearner(TestNets.mlp(10, 8, 6), new HyperParams(4, 16, 0.2, 0.9, 0.05, 0.9, 1e-4, 0), 1)) {
            assertThat(learner.fusedUpdate()).isTrue();
        }
    }

    private static INDArray random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return Nd4j.createFromArray(v).castTo(DataType.FLOAT);
    }

    private static ByteBuffer bytes(INDArray a) {
        return a.data().asNio().order(ByteOrder.nativeOrder());
    }
}
