package io.kontrast.math.objective;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Bulk copies between dense ND4J arrays (float or double) and Java double arrays. */
final class Rows {
    private Rows() {}

    static void read(INDArray a, double[] dst) {
        check(a);
        int n = (int) a.length();
        if (a.dataType() == DataType.DOUBLE) {
            a.data().asNioDouble().get(dst, 0, n);
        } else {
            var b = a.data().asNioFloat();
            for (int i = 0; i < n; i++) dst[i] = b.get(i);
        }
    }

    static void write(double[] src, INDArray a) {
        check(a);
        int n = (int) a.length();
        if (a.dataType() == DataType.DOUBLE) {
            a.data().asNioDouble().put(src, 0, n);
        } else {
            var b = a.data().asNioFloat();
            for (int i = 0; i < n; i++) b.put(i, (float) src[i]);
        }
    }

    private static void check(INDArray a) {
        if (a.offset() != 0 || a.data().length() != a.length() || a.ordering() != 'c'
                || (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE)) {
            throw new IllegalStateException("expected a dense float or double array that is the whole of its buffer: "
                    + a.shapeInfoToString());
        }
    }

    /** Scales each row of {@code m} ({@code rows × dim}) to unit length; the norms go to {@code norms}. */
    static void normalize(double[] m, int rows, int dim, double[] norms) {
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            double sq = 0;
            for (int c = o; c < o + dim; c++) sq += m[c] * m[c];
            double norm = Math.max(Math.sqrt(sq), 1e-12);
            norms[r] = norm;
            for (int c = o; c < o + dim; c++) m[c] /= norm;
        }
    }

    /**
     * dLoss/dz from dLoss/du where {@code u = z / |z|} row by row: {@code (du - u (u·du)) / |z|}, in
     * place in {@code du}.
     */
    static void throughNormalize(double[] u, double[] norms, double[] du, int rows, int dim) {
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            double dot = 0;
            for (int c = o; c < o + dim; c++) dot += u[c] * du[c];
            for (int c = o; c < o + dim; c++) du[c] = (du[c] - u[c] * dot) / norms[r];
        }
    }

    /**
     * Softmax cross-entropy of the scores {@code s[o, o + n)} choosing entry {@code own}, entry
     * {@code skip} left out (a row's partner view: neither a positive nor a negative); returns the
     * loss and leaves its gradient times {@code scale} in place, 0 at {@code skip}.
     */
    static double crossEntropy(double[] s, int o, int n, int own, int skip, double scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) if (j != skip) max = Math.max(max, s[o + j]);
        double sum = 0;
        for (int j = 0; j < n; j++) {
            if (j == skip) continue;
            double e = Math.exp(s[o + j] - max);
            s[o + j] = e;
            sum += e;
        }
        double loss = Math.log(sum) - Math.log(s[o + own]);
        for (int j = 0; j < n; j++) s[o + j] = j == skip ? 0 : (s[o + j] / sum - (j == own ? 1 : 0)) * scale;
        return loss;
    }
}
