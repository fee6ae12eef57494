package io.kontrast.math.objective;

import io.kontrast.math.HyperParams;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Deep Graph Infomax (Veličković et al.): the mutual-information family on graphs. A sample's
 * first view is its neighbourhood, the second the same neighbourhood corrupted (the structure
 * kept, its nodes' features drawn from elsewhere: see {@code GraphViews}). The backbone's last feature map gives a
 * representation {@code h_i} per node; the readout {@code s = σ(mean of the first view's present
 * nodes)} summarises the graph; a bilinear discriminator {@code D(h, s) = hᵀ W s} scores each
 * present node of the first view as belonging to the summary and each of the corrupted view as
 * not, with binary cross-entropy, the mean over all those nodes. The gradient flows into the
 * feature map (both views) and trains {@code W}; the encoder's output is not used.
 *
 * <p>Which nodes are present comes from the packed graph input ({@link Batch#inputs}): {@code
 * nodes} nodes of {@code graphFeatures} features, an adjacency row and a presence flag each.
 */
public final class Dgi implements Objective {
    private final int pairs;
    private final int nodes;
    private final int channels;
    private final int graphFeatures;
    private final int packed;
    private final INDArray weight;
    private final INDArray weightGrads;
    private final INDArray weightVelocity;
    private final double[] w;
    private final double[] dw;
    private final double[] fm;
    private final double[] dfm;
    private final double[] x;
    // Per-neighbourhood scratch, C values each: the mean, the summary, W s and the gradients through them.
    private final double[] mean;
    private final double[] s;
    private final double[] ws;
    private final double[] dws;
    private final double[] ds;

    /**
     * @param channels C, the feature map's channels per node
     * @param nodes N, the graph's node slots
     * @param graphFeatures the packed input's features per node
     */
    public Dgi(int pairs, int nodes, int channels, int graphFeatures, DataType dtype, long seed) {
        this.pairs = pairs;
        this.nodes = nodes;
        this.channels = channels;
        this.graphFeatures = graphFeatures;
        this.packed = graphFeatures + nodes + 1;
        double[] init = new double[channels * channels];
        SplittableRandom rnd = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(channels);
        for (int i = 0; i < init.length; i++) init[i] = (rnd.nextDouble() * 2 - 1) * bound;
        weight = Nd4j.createFromArray(init).castTo(dtype);
        weightGrads = Nd4j.create(dtype, (long) channels * channels);
        weightVelocity = Nd4j.create(dtype, (long) channels * channels);
        w = new double[channels * channels];
        dw = new double[channels * channels];
        fm = new double[2 * pairs * nodes * channels];
        dfm = new double[fm.length];
        x = new double[2 * pairs * nodes * packed];
        mean = new double[channels];
        s = new double[channels];
        ws = new double[channels];
        dws = new double[channels];
        ds = new double[channels];
    }

    @Override
    public String name() {
        return "dgi";
    }

    @Override
    public boolean needsFeatureMap() {
        return true;
    }

    private static double sigmoid(double v) {
        return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    }

    /** {@code log(1 + e^v)}, without overflow. */
    private static double softplus(double v) {
        return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
    }

    @Override
    public double lossAndGradient(Batch batch, INDArray dz) {
        INDArray map = batch.featureMap();
        INDArray dMap = batch.featureMapGradient();
        INDArray in = batch.inputs();
        if (map == null || dMap == null || in == null) throw new IllegalStateException("dgi needs the feature map and the inputs");
        Rows.read(map, fm);
        Rows.read(in, x);
        Rows.read(weight, w);
        java.util.Arrays.fill(dfm, 0);
        java.util.Arrays.fill(dw, 0);
        int c = channels;
        int present = 0;
        for (int b = 0; b < pairs; b++) {
            for (int i = 0; i < nodes; i++) if (x[(b * nodes + i) * packed + graphFeatures + nodes] != 0) present++;
        }
        double scale = 1.0 / Math.max(1, 2 * present);
        double loss = 0;
        for (int b = 0; b < pairs; b++) {
            int real = b * nodes * c;
            int fake = (pairs + b) * nodes * c;
            java.util.Arrays.fill(mean, 0);
            int n = 0;
            for (int i = 0; i < nodes; i++) {
                if (x[(b * nodes + i) * packed + graphFeatures + nodes] == 0) continue;
                n++;
                for (int k = 0; k < c; k++) mean[k] += fm[real + i * c + k];
            }
            if (n == 0) continue;
            for (int k = 0; k < c; k++) s[k] = sigmoid(mean[k] / n);
            for (int r = 0; r < c; r++) {
                double v = 0;
                for (int k = 0; k < c; k++) v += w[r * c + k] * s[k];
                ws[r] = v;
            }
            java.util.Arrays.fill(dws, 0);
            for (int i = 0; i < nodes; i++) {
                if (x[(b * nodes + i) * packed + graphFeatures + nodes] == 0) continue;
                double pos = 0;
                double neg = 0;
                for (int k = 0; k < c; k++) {
                    pos += fm[real + i * c + k] * ws[k];
                    neg += fm[fake + i * c + k] * ws[k];
                }
                loss += (softplus(-pos) + softplus(neg)) * scale;
                double dPos = (sigmoid(pos) - 1) * scale;
                double dNeg = sigmoid(neg) * scale;
                for (int k = 0; k < c; k++) {
                    dfm[real + i * c + k] += dPos * ws[k];
                    dfm[fake + i * c + k] += dNeg * ws[k];
                    dws[k] += dPos * fm[real + i * c + k] + dNeg * fm[fake + i * c + k];
                }
            }
            // Through W s: dW = dws ⊗ s, ds = Wᵀ dws; through the sigmoid and the mean into the real nodes.
            java.util.Arrays.fill(ds, 0);
            for (int r = 0; r < c; r++) {
                for (int k = 0; k < c; k++) {
                    dw[r * c + k] += dws[r] * s[k];
                    ds[k] += w[r * c + k] * dws[r];
                }
            }
            for (int i = 0; i < nodes; i++) {
                if (x[(b * nodes + i) * packed + graphFeatures + nodes] == 0) continue;
                for (int k = 0; k < c; k++) dfm[real + i * c + k] += ds[k] * s[k] * (1 - s[k]) / n;
            }
        }
        dz.assign(0);
        if (!Double.isFinite(loss)) return loss;
        Rows.write(dfm, dMap);
        Rows.write(dw, weightGrads);
        return loss;
    }

    @Override
    public void update(double learningRate, HyperParams hp, INDArray onlineParams) {
        Sgd.step(weight, weightGrads, weightVelocity, learningRate, hp.weightDecay(), hp.sgdMomentum());
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> st = new LinkedHashMap<>();
        st.put("discriminator", weight);
        st.put("discriminatorVelocity", weightVelocity);
        return st;
    }

    @Override
    public void clearMomentum() {
        weightVelocity.assign(0);
    }

    /** The discriminator's gradient of the last step, for tests. */
    INDArray discriminatorGradients() {
        return weightGrads;
    }
}
