package io.kontrast.math.objective;

import static io.kontrast.math.nn.LayerSpec.batchNorm;
import static io.kontrast.math.nn.LayerSpec.linear;
import static io.kontrast.math.nn.LayerSpec.relu;

import io.kontrast.math.HyperParams;
import io.kontrast.math.Network;
import io.kontrast.math.nn.EncoderSpec;
import io.kontrast.math.nn.LayerNet;
import io.kontrast.math.nn.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Context prediction (Doersch et al.), the relative-position family: the two views of a sample are
 * two patches of it (see {@code PatchPairs}), and a classifier head on the pair's two encoder
 * outputs, concatenated, predicts where the second patch lies around the first (8 positions).
 * Loss: softmax cross-entropy, the mean over the samples; the gradient flows through the head
 * into both outputs.
 *
 * <p>The head is linear-{@code hidden} → batch norm → ReLU → linear-8, trained with the encoder's
 * optimizer settings and learning rate; its parameters, momentum and running statistics are the
 * objective's {@link #state}. The views carry the positions as the batch's targets.
 */
public final class ContextPrediction implements Objective {
    /** The positions a second patch can take around the first. */
    public static final int POSITIONS = 8;

    private final int pairs;
    private final int dim;
    private final LayerNet head;
    private final INDArray headParams;
    private final INDArray headGrads;
    private final INDArray headVelocity;
    private final INDArray headStats;
    private final INDArray headStatsBefore;
    private final Network.Workspace headWs;
    private final INDArray in;
    private final INDArray inFirst;
    private final INDArray inSecond;
    private final double[] logits;
    private final double[] dLogits;
    private double accuracy = Double.NaN;

    /**
     * @param dim the encoder's output width
     * @param hidden the head's hidden width
     * @param dtype the online encoder's float type (DOUBLE in gradient checks)
     */
    public ContextPrediction(int pairs, int dim, int hidden, DataType dtype, long seed) {
        this.pairs = pairs;
        this.dim = dim;
        head = new LayerNet("context-head",
                new EncoderSpec(Shape.vector(2 * dim), List.of(linear(hidden), batchNorm(), relu(), linear(POSITIONS)), List.of()),
                1, dtype);
        headParams = Nd4j.create(dtype, head.paramCount());
        headGrads = Nd4j.create(dtype, head.paramCount());
        headVelocity = Nd4j.create(dtype, head.paramCount());
        headStats = Nd4j.create(dtype, Math.max(1, head.statsCount()));
        head.init(headParams, headStats, seed);
        headStatsBefore = headStats.dup();
        headWs = head.newWorkspaceWithInputGradient(pairs);
        in = Nd4j.create(dtype, pairs, 2 * dim);
        inFirst = in.get(NDArrayIndex.all(), NDArrayIndex.interval(0, dim));
        inSecond = in.get(NDArrayIndex.all(), NDArrayIndex.interval(dim, 2 * dim));
        logits = new double[pairs * POSITIONS];
        dLogits = new double[pairs * POSITIONS];
    }

    @Override
    public String name() {
        return "context";
    }

    @Override
    public boolean needsTargets() {
        return true;
    }

    @Override
    public double lossAndGradient(Batch batch, INDArray dz) {
        int[] targets = batch.targets();
        if (targets == null || targets.length < pairs) {
            throw new IllegalStateException("context prediction needs each pair's position (its views must be patch pairs)");
        }
        headStatsBefore.assign(headStats);
        INDArray z = batch.z();
        inFirst.assign(z.get(NDArrayIndex.interval(0, pairs), NDArrayIndex.all()));
        inSecond.assign(z.get(NDArrayIndex.interval(pairs, 2 * pairs), NDArrayIndex.all()));
        Rows.read(head.forward(headParams, headStats, in, headWs, true), logits);
        int counted = 0;
        for (int i = 0; i < pairs; i++) if (targets[i] >= 0) counted++;
        double loss = 0;
        int right = 0;
        java.util.Arrays.fill(dLogits, 0);
        for (int i = 0; i < pairs; i++) {
            int t = targets[i];
            if (t < 0) continue; // a pair without a position (built by an earlier version): no loss
            if (t >= POSITIONS) throw new IllegalStateException("position " + t + " of pair " + i);
            int o = i * POSITIONS;
            double max = Double.NEGATIVE_INFINITY;
            int best = 0;
            for (int k = 0; k < POSITIONS; k++) {
                if (logits[o + k] > max) {
                    max = logits[o + k];
                    best = k;
                }
            }
            if (best == t) right++;
            double sum = 0;
            for (int k = 0; k < POSITIONS; k++) sum += Math.exp(logits[o + k] - max);
            loss += Math.log(sum) + max - logits[o + t];
            for (int k = 0; k < POSITIONS; k++) {
                dLogits[o + k] = (Math.exp(logits[o + k] - max) / sum - (k == t ? 1 : 0)) / counted;
            }
        }
        if (counted == 0) {
            dz.assign(0);
            headGrads.assign(0);
            return 0;
        }
        loss /= counted;
        accuracy = (double) right / counted;
        if (!Double.isFinite(loss)) return loss;
        INDArray dOut = head.outputGradient(headWs);
        Rows.write(dLogits, dOut);
        head.backward(headParams, in, headWs, dOut, headGrads);
        INDArray dIn = head.inputGradient(headWs);
        dz.get(NDArrayIndex.interval(0, pairs), NDArrayIndex.all())
                .assign(dIn.get(NDArrayIndex.all(), NDArrayIndex.interval(0, dim)));
        dz.get(NDArrayIndex.interval(pairs, 2 * pairs), NDArrayIndex.all())
                .assign(dIn.get(NDArrayIndex.all(), NDArrayIndex.interval(dim, 2 * dim)));
        return loss;
    }

    @Override
    public void update(double learningRate, HyperParams hp, INDArray onlineParams) {
        Sgd.step(headParams, headGrads, headVelocity, learningRate, hp.weightDecay(), hp.sgdMomentum());
    }

    @Override
    public void discard() {
        headStats.assign(headStatsBefore);
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> s = new LinkedHashMap<>();
        s.put("headParams", headParams);
        s.put("headVelocity", headVelocity);
        s.put("headStats", headStats);
        return s;
    }

    @Override
    public void clearMomentum() {
        headVelocity.assign(0);
    }

    /** The share of the last step's pairs whose position the head predicted (chance: 1/8). */
    public double accuracy() {
        return accuracy;
    }

    /** The head's gradient of the last step, for tests. */
    INDArray headGradients() {
        return headGrads;
    }
}
