package io.kontrast.math.objective;

import io.kontrast.math.HyperParams;
import io.kontrast.math.Network;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The objectives without negatives: a predictor MLP on the online output of one view regresses the
 * other view's output, by negative cosine similarity, in both directions.
 *
 * <ul>
 *   <li><b>SimSiam</b>: the target is the online encoder's own output on the other view, with the
 *       gradient stopped. Stopping it is what keeps the encoder from collapsing to a constant;
 *       {@code stopGradient = false} exists to show that (the collapse alarm must catch it). Loss
 *       {@code −cos(p_i, sg(z_j))}, averaged over the 2N rows (in [−1, 1]).
 *   <li><b>BYOL</b>: the target is a target network's output on the other view: the online
 *       encoder's exponential moving average (MoCo's EMA, at {@link HyperParams#keyMomentum} or,
 *       with the momentum schedule, rising from it towards 1 over each cosine cycle of the
 *       learning rate), run without gradient. Loss {@code 2 − 2 cos(p_i, t_j)}, averaged (in [0, 4]).
 * </ul>
 *
 * <p>The predictor is linear-{@code hidden} → batch norm → ReLU → linear-{@code dim}, trained with
 * the encoder's optimizer settings and learning rate. Its parameters, momentum and running
 * statistics, and BYOL's target parameters, are the objective's {@link #state}.
 */
public final class Siamese implements Objective {
    private final boolean byol;
    private final boolean stopGradient;
    private final boolean momentumSchedule;
    private long step;
    private final int pairs;
    private final int rows;
    private final int dim;
    private final Head predictor;
    private final Network online;
    private final INDArray targetParams;
    private final Network.Workspace targetWs;
    private final INDArray targetOut;
    private final double[] p;
    private final double[] pNorms;
    private final double[] t;
    private final double[] tNorms;
    private final double[] dp;
    private final double[] dzDirect;

    /**
     * @param online the online encoder (BYOL's target network has its layout)
     * @param hidden the predictor's hidden width
     * @param dtype the online encoder's float type (DOUBLE in gradient checks)
     */
    public Siamese(boolean byol, boolean stopGradient, Network online, int pairs, int hidden, DataType dtype, long seed) {
        this(byol, stopGradient, false, online, pairs, hidden, dtype, seed);
    }

    /**
     * @param momentumSchedule BYOL's target momentum schedule: {@code 1 − (1 − m)·c} with {@code m}
     *     the key momentum and {@code c} the learning-rate schedule's cosine factor at the step, so
     *     the target's momentum rises from {@code m} towards 1 over each cosine cycle as BYOL's rises
     *     from 0.996 to 1 over its run; false keeps {@code m}
     */
    public Siamese(boolean byol, boolean stopGradient, boolean momentumSchedule, Network online, int pairs, int hidden,
            DataType dtype, long seed) {
        if (byol && !stopGradient) {
            throw new IllegalArgumentException("BYOL's target network takes no gradient; only SimSiam can run without its stop-gradient");
        }
        this.byol = byol;
        this.stopGradient = stopGradient;
        this.momentumSchedule = momentumSchedule;
        this.pairs = pairs;
        this.rows = 2 * pairs;
        this.dim = online.outputDim();
        this.online = online;
        predictor = new Head("predictor", dim, hidden, dim, rows, dtype, seed);
        targetParams = byol ? online.newParams() : null;
        targetWs = byol ? online.newWorkspace(rows) : null;
        targetOut = byol ? Nd4j.create(dtype, rows, dim) : null;
        p = new double[rows * dim];
        pNorms = new double[rows];
        t = new double[rows * dim];
        tNorms = new double[rows];
        dp = new double[rows * dim];
        dzDirect = new double[rows * dim];
    }

    @Override
    public String name() {
        return byol ? "byol" : stopGradient ? "simsiam" : "simsiam-no-stop-gradient";
    }

    @Override
    public void init(INDArray onlineParams) {
        if (byol) targetParams.assign(onlineParams);
    }

    @Override
    public double lossAndGradient(Batch batch, INDArray dz) {
        step = batch.step();
        INDArray z = batch.z();
        Rows.read(predictor.forward(z), p);
        Rows.normalize(p, rows, dim, pNorms);
        if (byol) {
            batch.encode(online, targetParams, targetWs, targetOut);
            Rows.read(targetOut, t);
        } else {
            Rows.read(z, t);
        }
        Rows.normalize(t, rows, dim, tNorms);
        // loss = scale * mean_i (-cos(p_i, t_partner)) + offset
        double scale = byol ? 2 : 1;
        double offset = byol ? 2 : 0;
        double k = -scale / rows;
        double cosSum = 0;
        java.util.Arrays.fill(dzDirect, 0);
        for (int i = 0; i < rows; i++) {
            int j = i < pairs ? i + pairs : i - pairs;
            int oi = i * dim;
            int oj = j * dim;
            double cos = 0;
            for (int c = 0; c < dim; c++) cos += p[oi + c] * t[oj + c];
            cosSum += cos;
            for (int c = 0; c < dim; c++) {
                dp[oi + c] = k * t[oj + c];
                dzDirect[oj + c] += k * p[oi + c];
            }
        }
        double loss = offset - scale * cosSum / rows;
        if (!Double.isFinite(loss)) return loss;
        Rows.throughNormalize(p, pNorms, dp, rows, dim);
        Rows.write(dp, predictor.outputGradient());
        dz.assign(predictor.backward(z));
        if (!stopGradient) {
            // The target is z itself: its gradient flows too.
            Rows.throughNormalize(t, tNorms, dzDirect, rows, dim);
            Rows.read(dz, dp);
            for (int i = 0; i < dp.length; i++) dp[i] += dzDirect[i];
            Rows.write(dp, dz);
        }
        return loss;
    }

    @Override
    public void update(double learningRate, HyperParams hp, INDArray onlineParams) {
        // SimSiam keeps its predictor's rate constant (the paper's fix_pred_lr: the predictor has to
        // keep adapting to the encoder); BYOL's follows the encoder's schedule.
        predictor.update(byol ? learningRate : hp.learningRate(), hp);
        if (byol) Sgd.ema(targetParams, onlineParams, targetMomentum(hp, step));
    }

    /** BYOL's target momentum at a step. */
    double targetMomentum(HyperParams hp, long step) {
        return momentumSchedule ? 1 - (1 - hp.keyMomentum()) * hp.cosineAt(step) : hp.keyMomentum();
    }

    @Override
    public void discard() {
        predictor.discard();
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> s = new LinkedHashMap<>();
        predictor.putState(s);
        if (byol) s.put("targetParams", targetParams);
        return s;
    }

    @Override
    public void clearMomentum() {
        predictor.clearMomentum();
    }

    /** The predictor's gradient of the last step, for tests. */
    INDArray predictorGradients() {
        return predictor.gradients();
    }
}
