package io.kontrast.math.objective;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SimCLR's NT-Xent: each of the 2N outputs, normalised, scores its partner (the other view of its
 * sample) against the other 2N − 2 outputs of the batch, by softmax cross-entropy over cosine
 * similarities divided by the temperature. No state besides the encoder's: negatives come from the
 * batch itself, so the batch size sets their number.
 *
 * <p>The loss is the mean over the 2N rows. With {@code u} the normalised outputs, {@code S = u uᵀ
 * / T} and {@code G = (softmax(S) − Y) / 2N} (self excluded, Y one-hot at the partner), dL/du =
 * {@code (G + Gᵀ) u / T}. The arithmetic is a few 2N × 2N × dim products in double precision.
 */
public final class SimClr implements Objective {
    private final int pairs;
    private final int rows;
    private final int dim;
    private final double temperature;
    private final double[] u;
    private final double[] norms;
    private final double[] g;
    private final double[] du;

    public SimClr(int pairs, int dim, double temperature) {
        if (pairs < 1) throw new IllegalArgumentException("SimCLR needs at least one pair per batch");
        this.pairs = pairs;
        this.rows = 2 * pairs;
        this.dim = dim;
        this.temperature = temperature;
        u = new double[rows * dim];
        norms = new double[rows];
        g = new double[rows * rows];
        du = new double[rows * dim];
    }

    @Override
    public String name() {
        return "simclr";
    }

    @Override
    public double lossAndGradient(Batch batch, INDArray dz) {
        return lossAndGradient(batch.z(), dz, null);
    }

    /**
     * NT-Xent of {@code z} ({@code [2N, dim]}, pair order) into {@code dz}, with only the pairs
     * {@code anchored} (all when null) scoring their partner: the others' rows take part as
     * negatives only. The loss is the mean over the anchored rows; 0 (and dz 0) when there are none.
     */
    double lossAndGradient(INDArray z, INDArray dz, boolean[] anchored) {
        Rows.read(z, u);
        Rows.normalize(u, rows, dim, norms);
        double invT = 1 / temperature;
        int counted = rows;
        if (anchored != null) {
            counted = 0;
            for (int i = 0; i < pairs; i++) if (anchored[i]) counted += 2;
        }
        if (counted == 0) {
            dz.assign(0);
            return 0;
        }
        double loss = 0;
        for (int i = 0; i < rows; i++) {
            int partner = i < pairs ? i + pairs : i - pairs;
            int oi = i * dim;
            if (anchored != null && !anchored[i < pairs ? i : i - pairs]) {
                java.util.Arrays.fill(g, i * rows, (i + 1) * rows, 0);
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < rows; j++) {
                if (j == i) continue;
                int oj = j * dim;
                double s = 0;
                for (int c = 0; c < dim; c++) s += u[oi + c] * u[oj + c];
                s *= invT;
                g[i * rows + j] = s;
                if (s > max) max = s;
            }
            double sum = 0;
            for (int j = 0; j < rows; j++) {
                if (j == i) continue;
                double e = Math.exp(g[i * rows + j] - max);
                g[i * rows + j] = e;
                sum += e;
            }
            double posLogit = 0;
            for (int c = 0; c < dim; c++) posLogit += u[oi + c] * u[partner * dim + c];
            posLogit *= invT;
            loss += Math.log(sum) + max - posLogit;
            for (int j = 0; j < rows; j++) {
                g[i * rows + j] = j == i ? 0 : (g[i * rows + j] / sum - (j == partner ? 1 : 0)) / counted;
            }
        }
        loss /= counted;
        if (!Double.isFinite(loss)) return loss;
        // du_i = sum_j (G_ij + G_ji) u_j / T
        java.util.Arrays.fill(du, 0);
        for (int i = 0; i < rows; i++) {
            int oi = i * dim;
            for (int j = 0; j < rows; j++) {
                double w = (g[i * rows + j] + g[j * rows + i]) * invT;
                if (w == 0) continue;
                int oj = j * dim;
                for (int c = 0; c < dim; c++) du[oi + c] += w * u[oj + c];
            }
        }
        Rows.throughNormalize(u, norms, du, rows, dim);
        Rows.write(du, dz);
        return loss;
    }

}
