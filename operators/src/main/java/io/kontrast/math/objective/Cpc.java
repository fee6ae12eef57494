package io.kontrast.math.objective;

import io.kontrast.math.HyperParams;
import io.kontrast.math.nn.GruKernel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Contrastive predictive coding (van den Oord et al.) on sequences: the mutual-information
 * family's objective between a sequence's past and its future. The backbone's last feature map
 * over time gives one latent {@code z_t} per step (its C channels); an autoregressive model, a GRU
 * of {@code H} units, summarises {@code z_0 … z_t} into a context {@code c_t}; for each of {@code K}
 * offsets {@code k} ahead, from the nearest whose latent sees none of the context's inputs, a
 * linear map {@code W_k} predicts {@code z_{t+k}} from {@code c_t}, scored by the
 * log-bilinear {@code z_{t+k}ᵀ W_k c_t} (the paper's {@code f_k}) against the same step of the
 * batch's other sequences. The loss is InfoNCE's cross-entropy of that choice, the mean over
 * sequences, offsets {@code k} and positions {@code t}.
 *
 * <p>Both views of a sample go through as sequences of their own (2N rows); a row's partner
 * view is the same sequence seen differently, so it is left out of the row's negatives rather than
 * counted as one. The gradient flows into the feature map twice, as the predicted latents and as
 * the context model's input, and trains the GRU and the predictions, which the objective owns and
 * checkpoints; the encoder's output takes no gradient.
 */
public final class Cpc implements Objective {
    private final int pairs;
    private final int rows;
    private final int steps;
    private final int channels;
    private final int hidden;
    private final int ahead;
    /** The nearest step predicted: offsets {@code first … first + ahead − 1}. */
    private final int first;
    private final int terms;
    private final INDArray params;
    private final INDArray grads;
    private final INDArray velocity;
    private final INDArray[] p = new INDArray[4];
    private final INDArray[] g = new INDArray[4];
    private final INDArray[] wk;
    private final INDArray[] gk;
    private final GruKernel gru;
    private final INDArray context;
    private final INDArray dContext;
    private final INDArray dInput;
    /** The feature map and its gradient, copied: the network's are views into its arena. */
    private final INDArray mapCopy;
    private final INDArray dMapCopy;
    private final INDArray[] zs;
    private final INDArray[] cs;
    private final INDArray[] dzs;
    private final INDArray[] dcs;
    private final INDArray pred;
    private final INDArray dPred;
    private final INDArray scores;
    private final INDArray dScores;
    private final double[] fm;
    private final double[] ctx;
    private final double[] stepValues;
    private final double[] s;

    /**
     * @param steps T, the feature map's steps
     * @param channels C, its channels
     * @param hidden H, the context model's units
     * @param first the nearest offset predicted, at least 1: the encoder's latents overlap in
     *     their inputs, and a target that shares inputs with the context is predicted by copying
     * @param ahead K, the offsets predicted, {@code first … first + K − 1}, the farthest below T
     * @param dtype the online encoder's float type (DOUBLE in gradient checks)
     */
    public Cpc(int pairs, int steps, int channels, int hidden, int first, int ahead, DataType dtype, long seed) {
        if (first < 1 || ahead < 1 || first + ahead - 1 >= steps) {
            throw new IllegalArgumentException("cpc predicts offsets " + first + " to " + (first + ahead - 1)
                    + " ahead, and a feature map of T = " + steps + " steps has offsets 1 to " + (steps - 1));
        }
        this.first = first;
        this.pairs = pairs;
        this.rows = 2 * pairs;
        this.steps = steps;
        this.channels = channels;
        this.hidden = hidden;
        this.ahead = ahead;
        int t = 0;
        for (int k = first; k < first + ahead; k++) t += steps - k;
        this.terms = t * rows;
        long[] sizes = {(long) channels * 3 * hidden, (long) hidden * 3 * hidden, 3L * hidden, 3L * hidden};
        long total = 0;
        for (long n : sizes) total += n;
        long predOffset = total;
        total += (long) ahead * hidden * channels;
        double[] init = new double[(int) total];
        SplittableRandom rnd = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(hidden);
        for (int i = 0; i < predOffset; i++) init[i] = (rnd.nextDouble() * 2 - 1) * bound;
        for (int i = (int) predOffset; i < total; i++) init[i] = gaussian(rnd) * bound;
        params = Nd4j.createFromArray(init).castTo(dtype);
        grads = Nd4j.create(dtype, total);
        velocity = Nd4j.create(dtype, total);
        long[][] shapes = {{channels, 3L * hidden}, {hidden, 3L * hidden}, {3L * hidden}, {3L * hidden}};
        long o = 0;
        for (int i = 0; i < 4; i++) {
            p[i] = params.get(NDArrayIndex.interval(o, o + sizes[i])).reshape('c', shapes[i]);
            g[i] = grads.get(NDArrayIndex.interval(o, o + sizes[i])).reshape('c', shapes[i]);
            o += sizes[i];
        }
        wk = new INDArray[ahead + 1];
        gk = new INDArray[ahead + 1];
        long each = (long) hidden * channels;
        for (int k = 1; k <= ahead; k++) {
            // wk[k]: the map of offset first + k − 1.
            wk[k] = params.get(NDArrayIndex.interval(o, o + each)).reshape('c', hidden, channels);
            gk[k] = grads.get(NDArrayIndex.interval(o, o + each)).reshape('c', hidden, channels);
            o += each;
        }
        gru = GruKernel.allocate(rows, steps, channels, hidden, true, dtype);
        context = Nd4j.create(dtype, rows, (long) steps * hidden);
        dContext = Nd4j.create(dtype, rows, (long) steps * hidden);
        dInput = Nd4j.create(dtype, (long) rows * steps, channels);
        mapCopy = Nd4j.create(dtype, rows, (long) steps * channels);
        dMapCopy = Nd4j.create(dtype, rows, (long) steps * channels);
        zs = new INDArray[steps];
        cs = new INDArray[steps];
        dzs = new INDArray[steps];
        dcs = new INDArray[steps];
        for (int i = 0; i < steps; i++) {
            zs[i] = Nd4j.create(dtype, rows, channels);
            cs[i] = Nd4j.create(dtype, rows, hidden);
            dzs[i] = Nd4j.create(dtype, rows, channels);
            dcs[i] = Nd4j.create(dtype, rows, hidden);
        }
        pred = Nd4j.create(dtype, rows, channels);
        dPred = Nd4j.create(dtype, rows, channels);
        scores = Nd4j.create(dtype, rows, rows);
        dScores = Nd4j.create(dtype, rows, rows);
        fm = new double[rows * steps * channels];
        ctx = new double[rows * steps * hidden];
        stepValues = new double[rows * Math.max(channels, hidden)];
        s = new double[rows * rows];
    }

    private static double gaussian(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    @Override
    public String name() {
        return "cpc";
    }

    @Override
    public boolean needsFeatureMap() {
        return true;
    }

    @Override
    public double lossAndGradient(Batch batch, INDArray dz) {
        INDArray map = batch.featureMap();
        INDArray dMap = batch.featureMapGradient();
        if (map == null || dMap == null) throw new IllegalStateException("cpc needs the backbone's feature map over time");
        mapCopy.assign(map);
        INDArray x = mapCopy.reshape('c', (long) rows * steps, channels);
        gru.forward(x, p[0], p[1], p[2], p[3], context);
        Rows.read(mapCopy, fm);
        Rows.read(context, ctx);
        for (int t = 0; t < steps; t++) {
            split(fm, t, channels, zs[t]);
            split(ctx, t, hidden, cs[t]);
            dzs[t].assign(0);
            dcs[t].assign(0);
        }
        for (int k = 1; k <= ahead; k++) gk[k].assign(0);
        double loss = 0;
        for (int k = 1; k <= ahead; k++) {
            int offset = first + k - 1;
            for (int t = 0; t + offset < steps; t++) {
                Nd4j.gemm(cs[t], wk[k], pred, false, false, 1, 0);
                Nd4j.gemm(pred, zs[t + offset], scores, false, true, 1, 0);
                Rows.read(scores, s);
                loss += crossEntropy();
                Rows.write(s, dScores);
                Nd4j.gemm(dScores, zs[t + offset], dPred, false, false, 1, 0);
                Nd4j.gemm(dScores, pred, dzs[t + offset], true, false, 1, 1);
                Nd4j.gemm(cs[t], dPred, gk[k], true, false, 1, 1);
                Nd4j.gemm(dPred, wk[k], dcs[t], false, true, 1, 1);
            }
        }
        loss /= terms;
        if (!Double.isFinite(loss)) return loss;
        for (int t = 0; t < steps; t++) join(dcs[t], t, hidden, ctx);
        Rows.write(ctx, dContext);
        gru.backward(x, p[0], p[1], dContext, dInput, g[0], g[1], g[2], g[3]);
        Rows.read(dInput, fm);
        for (int t = 0; t < steps; t++) {
            Rows.read(dzs[t], stepValues);
            for (int r = 0; r < rows; r++) {
                int o = (r * steps + t) * channels;
                for (int c = 0; c < channels; c++) fm[o + c] += stepValues[r * channels + c];
            }
        }
        Rows.write(fm, dMapCopy);
        dMap.assign(dMapCopy);
        dz.assign(0);
        return loss;
    }

    /**
     * Softmax cross-entropy of each row of {@link #s} choosing its own column, the partner view's
     * column left out; leaves dLoss/dScores (over all the loss's terms) in {@link #s}, returns the
     * sum of the rows' losses.
     */
    private double crossEntropy() {
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            loss += Rows.crossEntropy(s, r * rows, rows, r, r < pairs ? r + pairs : r - pairs, 1.0 / terms);
        }
        return loss;
    }

    /** Step {@code t} of every row of {@code all} ({@code [rows, T·width]}) into {@code into} ({@code [rows, width]}). */
    private void split(double[] all, int t, int width, INDArray into) {
        for (int r = 0; r < rows; r++) System.arraycopy(all, (r * steps + t) * width, stepValues, r * width, width);
        Rows.write(stepValues, into);
    }

    /** The inverse of {@link #split}. */
    private void join(INDArray step, int t, int width, double[] all) {
        Rows.read(step, stepValues);
        for (int r = 0; r < rows; r++) System.arraycopy(stepValues, r * width, all, (r * steps + t) * width, width);
    }

    @Override
    public void update(double learningRate, HyperParams hp, INDArray onlineParams) {
        Sgd.step(params, grads, velocity, learningRate, hp.weightDecay(), hp.sgdMomentum());
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> st = new LinkedHashMap<>();
        st.put("contextParams", params);
        st.put("contextVelocity", velocity);
        return st;
    }

    @Override
    public void clearMomentum() {
        velocity.assign(0);
    }

    /** The context model's and the predictions' gradients of the last step, flat, for tests. */
    INDArray gradients() {
        return grads;
    }

    /** Their parameters, flat, for tests. */
    INDArray parameters() {
        return params;
    }
}
