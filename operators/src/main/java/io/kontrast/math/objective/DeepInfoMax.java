package io.kontrast.math.objective;

import io.kontrast.math.HyperParams;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Deep InfoMax (Hjelm et al.), global–local, with the InfoNCE estimator: the mutual-information
 * family. The backbone's last feature map gives each image P local features, one per location
 * (its C channels, through a learned linear map to the output width); the encoder's output is the
 * image's global feature. Each local feature scores its own image's global feature against the
 * batch's other images' ones, cosine over a temperature; the loss is the softmax cross-entropy of
 * that choice, the mean over images and locations. The gradient flows into the global features
 * (the output) and into the feature map, and trains the local map.
 *
 * <p>Both views of a sample go through as images of their own (2N rows); a row's partner view
 * shows the same image, so it is left out of the row's negatives rather than counted as one.
 * Across views ({@code acrossViews}, AMDIM's change, Bachman et al., 2019), each location scores
 * its partner view's global feature instead, and its own view's is the one left out: the local
 * features of one augmentation must pick out the global feature of the other.
 */
public final class DeepInfoMax implements Objective {
    private final int pairs;
    private final int rows;
    private final int dim;
    private final int channels;
    private final int locations;
    private final double temperature;
    private final boolean acrossViews;
    private final INDArray localParams;
    private final INDArray localGrads;
    private final INDArray localVelocity;
    private final INDArray localMap;
    private final INDArray localGradMap;
    private final INDArray local;
    private final INDArray localN;
    private final INDArray globalN;
    private final INDArray scores;
    private final INDArray dScores;
    private final INDArray dLocalN;
    private final INDArray dGlobalN;
    private final INDArray dLocal;
    private final double[] l;
    private final double[] lNorms;
    private final double[] g;
    private final double[] gNorms;
    private final double[] s;
    private final double[] dl;
    private final double[] dg;

    /**
     * @param channels C, the feature map's channels
     * @param locations P, its locations (height × width)
     * @param dim the encoder's output width
     * @param dtype the online encoder's float type (DOUBLE in gradient checks)
     */
    public DeepInfoMax(int pairs, int channels, int locations, int dim, double temperature, DataType dtype, long seed) {
        this(pairs, channels, locations, dim, temperature, false, dtype, seed);
    }

    /** @param acrossViews whether each location scores its partner view's global feature (AMDIM) rather than its own view's */
    public DeepInfoMax(int pairs, int channels, int locations, int dim, double temperature, boolean acrossViews, DataType dtype,
            long seed) {
        this.acrossViews = acrossViews;
        this.pairs = pairs;
        this.rows = 2 * pairs;
        this.dim = dim;
        this.channels = channels;
        this.locations = locations;
        this.temperature = temperature;
        int q = rows * locations;
        double[] w = new double[channels * dim];
        SplittableRandom rnd = new SplittableRandom(seed);
        double scale = Math.sqrt(1.0 / channels);
        for (int i = 0; i < w.length; i++) w[i] = gaussian(rnd) * scale;
        // Flat, as learning state is kept; the GEMMs see them as [C, dim].
        localParams = Nd4j.createFromArray(w).castTo(dtype);
        localGrads = Nd4j.create(dtype, (long) channels * dim);
        localVelocity = Nd4j.create(dtype, (long) channels * dim);
        localMap = localParams.reshape('c', channels, dim);
        localGradMap = localGrads.reshape('c', channels, dim);
        local = Nd4j.create(dtype, q, dim);
        localN = Nd4j.create(dtype, q, dim);
        globalN = Nd4j.create(dtype, rows, dim);
        scores = Nd4j.create(dtype, q, rows);
        dScores = Nd4j.create(dtype, q, rows);
        dLocalN = Nd4j.create(dtype, q, dim);
        dGlobalN = Nd4j.create(dtype, rows, dim);
        dLocal = Nd4j.create(dtype, q, dim);
        l = new double[q * dim];
        lNorms = new double[q];
        g = new double[rows * dim];
        gNorms = new double[rows];
        s = new double[q * rows];
        dl = new double[q * dim];
        dg = new double[rows * dim];
    }

    private static double gaussian(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    @Override
    public String name() {
        return "dim";
    }

    @Override
    public boolean needsFeatureMap() {
        return true;
    }

    @Override
    public double lossAndGradient(Batch batch, INDArray dz) {
        INDArray fm = batch.featureMap();
        INDArray dFm = batch.featureMapGradient();
        if (fm == null || dFm == null) throw new IllegalStateException("deep infomax needs the backbone's feature map");
        int q = rows * locations;
        // [2N, P·C] in NHWC is [2N·P, C]: one row per location, its channels.
        INDArray m = fm.reshape('c', q, channels);
        Nd4j.gemm(m, localMap, local, false, false, 1, 0);
        Rows.read(local, l);
        Rows.normalize(l, q, dim, lNorms);
        Rows.write(l, localN);
        Rows.read(batch.z(), g);
        Rows.normalize(g, rows, dim, gNorms);
        Rows.write(g, globalN);
        double invT = 1 / temperature;
        Nd4j.gemm(localN, globalN, scores, false, true, invT, 0);
        Rows.read(scores, s);
        double loss = 0;
        for (int r = 0; r < q; r++) {
            int own = r / locations;
            int partner = own < pairs ? own + pairs : own - pairs;
            // The positive: this view's global feature, or across views the partner's; the other is left out.
            loss += Rows.crossEntropy(s, r * rows, rows, acrossViews ? partner : own, acrossViews ? own : partner, 1.0 / q);
        }
        loss /= q;
        if (!Double.isFinite(loss)) return loss;
        Rows.write(s, dScores);
        Nd4j.gemm(dScores, globalN, dLocalN, false, false, invT, 0);
        Nd4j.gemm(dScores, localN, dGlobalN, true, false, invT, 0);
        Rows.read(dLocalN, dl);
        Rows.throughNormalize(l, lNorms, dl, q, dim);
        Rows.write(dl, dLocal);
        Rows.read(dGlobalN, dg);
        Rows.throughNormalize(g, gNorms, dg, rows, dim);
        Rows.write(dg, dz);
        Nd4j.gemm(m, dLocal, localGradMap, true, false, 1, 0);
        Nd4j.gemm(dLocal, localMap, dFm.reshape('c', q, channels), false, true, 1, 0);
        return loss;
    }

    @Override
    public void update(double learningRate, HyperParams hp, INDArray onlineParams) {
        Sgd.step(localParams, localGrads, localVelocity, learningRate, hp.weightDecay(), hp.sgdMomentum());
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> st = new LinkedHashMap<>();
        st.put("localParams", localParams);
        st.put("localVelocity", localVelocity);
        return st;
    }

    @Override
    public void clearMomentum() {
        localVelocity.assign(0);
    }

    /** The local map's gradient of the last step, for tests. */
    INDArray localGradients() {
        return localGrads;
    }
}
