package io.kontrast.math;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element-wise passes over a batch of activations, done on a heap copy.
 *
 * <p>Each ND4J call on a batch-sized array costs tens to hundreds of microseconds (dispatch, a
 * thread-pool round trip, loops the native build does not vectorise). Copying the array to a
 * Java array with one bulk read, doing the arithmetic in one loop the JIT vectorises, and
 * writing it back with one bulk write is several times faster, and lets several passes (bias,
 * ReLU, column sums) share one copy.
 *
 * <p>Every array must be a dense, row-major float matrix or vector (a view is fine).
 */
public final class HeapPass {
    private HeapPass() {}

    /** {@code z += b} on every row, then ReLU if {@code relu}. {@code z} is {@code [rows, cols]}, {@code b} {@code [cols]}. */
    public static void addBias(INDArray z, INDArray b, boolean relu, float[] scratch, float[] row) {
        int cols = (int) z.size(1);
        int n = (int) z.length();
        read(b, row, cols);
        FloatBuffer zb = buffer(z);
        int zo = (int) z.offset();
        zb.get(zo, scratch, 0, n);
        for (int o = 0; o < n; o += cols) {
            if (relu) {
                for (int j = 0; j < cols; j++) scratch[o + j] = Math.max(scratch[o + j] + row[j], 0f);
            } else {
                for (int j = 0; j < cols; j++) scratch[o + j] += row[j];
            }
        }
        zb.put(zo, scratch, 0, n);
    }

    /** {@code sums} = column sums of {@code d} ({@code [rows, cols]}). */
    public static void columnSums(INDArray d, INDArray sums, float[] scratch, float[] row) {
        int cols = (int) d.size(1);
        int n = (int) d.length();
        buffer(d).get((int) d.offset(), scratch, 0, n);
        sumRows(scratch, n, cols, row);
        write(row, sums, cols);
    }

    /**
     * Backward through {@code act = ReLU(z)}: zeroes {@code d} where {@code act} is not positive,
     * then writes the column sums of the result to {@code sums} (the bias gradient of the layer
     * that produced {@code z}).
     */
    public static void reluBackwardColumnSums(INDArray act, INDArray d, INDArray sums, float[] scratch, float[] mask, float[] row) {
        int cols = (int) d.size(1);
        int n = (int) d.length();
        if (act.length() != n) {
            throw new IllegalArgumentException("activation and gradient shapes differ: " + act.length() + " vs " + n);
        }
        buffer(act).get((int) act.offset(), mask, 0, n);
        FloatBuffer db = buffer(d);
        int dO = (int) d.offset();
        db.get(dO, scratch, 0, n);
        // act >= 0, so min(act * 1e30 * 1e30, 1) is exactly 1 where act > 0 (the smallest positive float
        // times 1e60 is far above 1) and 0 where act == 0: a branch-free mask the JIT vectorises;
        // a conditional here mispredicts on every other element.
        for (int i = 0; i < n; i++) scratch[i] *= Math.min(mask[i] * 1e30f * 1e30f, 1f);
        db.put(dO, scratch, 0, n);
        sumRows(scratch, n, cols, row);
        write(row, sums, cols);
    }

    /** {@code row} = sums of the {@code n / cols} rows of {@code m}, four rows per pass. */
    private static void sumRows(float[] m, int n, int cols, float[] row) {
        java.util.Arrays.fill(row, 0, cols, 0f);
        int o = 0;
        for (; o + 4 * cols <= n; o += 4 * cols) {
            for (int j = 0; j < cols; j++) {
                row[j] += (m[o + j] + m[o + cols + j]) + (m[o + 2 * cols + j] + m[o + 3 * cols + j]);
            }
        }
        for (; o < n; o += cols) {
            for (int j = 0; j < cols; j++) row[j] += m[o + j];
        }
    }

    private static void read(INDArray v, float[] dst, int n) {
        buffer(v).get((int) v.offset(), dst, 0, n);
    }

    private static void write(float[] src, INDArray v, int n) {
        buffer(v).put((int) v.offset(), src, 0, n);
    }

    /** The whole buffer under {@code a}, whose elements start at {@code a.offset()}. */
    private static FloatBuffer buffer(INDArray a) {
        boolean dense = a.rank() == 1
                ? a.length() == 1 || a.stride(0) == 1
                : a.rank() == 2 && a.stride(1) == 1 && (a.size(0) == 1 || a.stride(0) == a.size(1));
        if (a.dataType() != DataType.FLOAT || !dense) {
            throw new IllegalStateException("expected a dense row-major float matrix or vector: " + a.shapeInfoToString());
        }
        return a.data().asNioFloat();
    }
}
