package io.kontrast.math;

import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training step's GEMMs: {@code c = alpha op(a) op(b) + beta c}.
 *
 * <p>On the CPU backend, matrices that are row-major with unit column stride (dense ones, and row
 * or column ranges of them) go straight to oneDNN's sgemm, the routine ND4J's own GEMM ends in,
 * with the arrays' leading dimensions. ND4J's {@code Nd4j.gemm} builds an op around each call,
 * and the step's GEMMs are small enough (a few hundred microseconds) for that to show. The
 * leading dimensions also let two lanes each compute a block of one product in place. Anything else (another backend, another layout) takes
 * {@code Nd4j.gemm}, with the same result.
 *
 * <p>oneDNN threads each call with OpenMP, so a call uses the calling thread's OpenMP thread
 * count, as {@link Lanes} set it.
 */
public final class Sgemm {
    private static final Logger LOG = LoggerFactory.getLogger(Sgemm.class);
    private static final boolean DIRECT = probe();

    private Sgemm() {}

    /** Whether GEMMs go to oneDNN directly (CPU backend, bindings loaded). */
    public static boolean direct() {
        return DIRECT;
    }

    private static boolean probe() {
        try {
            Nd4j.getBackend();
            if (!Nd4j.getEnvironment().isCPU()) {
                return false;
            }
            // Loads the bindings, and checks them against ND4J on a small product.
            INDArray a = Nd4j.createFromArray(new float[] {1, 2, 3, 4, 5, 6}).reshape(2, 3);
            INDArray b = Nd4j.createFromArray(new float[] {1, -1, 0.5f, 2, -3, 1}).reshape(3, 2);
            INDArray c = Nd4j.create(DataType.FLOAT, 2, 2);
            call(a, b, c, false, false, 1, 0);
            if (!c.equals(Nd4j.gemm(a, b, false, false))) {
                LOG.warn("oneDNN's sgemm disagrees with ND4J's GEMM; the step's GEMMs go through ND4J");
                return false;
            }
            return true;
        } catch (Throwable e) {
            LOG.info("oneDNN's sgemm is not available ({}); the step's GEMMs go through ND4J", e.toString());
            return false;
        }
    }

    /** {@code c = alpha op(a) op(b) + beta c}, where op transposes when asked. */
    public static void gemm(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha, double beta) {
        if (DIRECT && rowMajor(a) && rowMajor(b) && rowMajor(c)) {
            call(a, b, c, transposeA, transposeB, alpha, beta);
        } else {
            Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
        }
    }

    /**
     * Whether {@link #transposedProductRows} can compute blocks of {@code c = a^T b} in place: the
     * CPU backend, and row-major matrices.
     */
    public static boolean splitsRows(INDArray a, INDArray b, INDArray c) {
        return DIRECT && rowMajor(a) && rowMajor(b) && rowMajor(c);
    }

    /**
     * Rows {@code [from, to)} of {@code c = a^T b}, overwriting them: {@code c[from..to) =
     * a[:, from..to)^T b}. Two calls on two {@link Lanes} split one GEMM with no copies. Only
     * where {@link #splitsRows} says so.
     */
    public static void transposedProductRows(INDArray a, INDArray b, INDArray c, int from, int to) {
        if (!splitsRows(a, b, c)) {
            throw new IllegalStateException("row blocks need the CPU backend and row-major matrices");
        }
        if (a.size(0) != b.size(0) || c.size(0) != a.size(1) || c.size(1) != b.size(1) || from < 0 || to > c.size(0) || from > to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a^T b: shapes "
                    + shape(a) + ", " + shape(b) + ", " + shape(c));
        }
        status(dnnl.dnnl_sgemm((byte) 'T', (byte) 'N', to - from, c.size(1), a.size(0), 1f,
                at(a, from), ld(a), at(b, 0), ld(b), 0f, at(c, from * ld(c)), ld(c)));
    }

    private static void call(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha, double beta) {
        long m = transposeA ? a.size(1) : a.size(0);
        long k = transposeA ? a.size(0) : a.size(1);
        long kb = transposeB ? b.size(1) : b.size(0);
        long n = transposeB ? b.size(0) : b.size(1);
        if (k != kb || c.size(0) != m || c.size(1) != n) {
            throw new IllegalArgumentException("GEMM shapes do not match: " + shape(a) + (transposeA ? "^T" : "")
                    + " x " + shape(b) + (transposeB ? "^T" : "") + " -> " + shape(c));
        }
        status(dnnl.dnnl_sgemm((byte) (transposeA ? 'T' : 'N'), (byte) (transposeB ? 'T' : 'N'), m, n, k, (float) alpha,
                at(a, 0), ld(a), at(b, 0), ld(b), (float) beta, at(c, 0), ld(c)));
    }

    private static void status(int s) {
        if (s != dnnl.dnnl_success) {
            throw new IllegalStateException("oneDNN sgemm failed with status " + s);
        }
    }

    /** Row-major with unit column stride, rows apart by at least a row's length. */
    private static boolean rowMajor(INDArray x) {
        return x.rank() == 2 && x.dataType() == DataType.FLOAT && !x.isEmpty()
                && (x.stride(1) == 1 || x.size(1) == 1) && (x.size(0) == 1 || x.stride(0) >= x.size(1));
    }

    private static long ld(INDArray x) {
        return x.size(0) == 1 ? Math.max(1, x.size(1)) : Math.max(1, x.stride(0));
    }

    /** A pointer to element {@code offset} of {@code x}, counted from its first element. */
    private static FloatPointer at(INDArray x, long offset) {
        FloatPointer p = new FloatPointer(x.data().addressPointer());
        return p.position(p.position() + offset);
    }

    private static String shape(INDArray x) {
        return java.util.Arrays.toString(x.shape());
    }
}
