package io.kontrast.math.objective;

import io.kontrast.math.HyperParams;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Context prediction (Doersch et al.), the relative-position family: the two views of a sample are
 * two patches of it (see {@code PatchPairs}), and a classifier head on the pair's two encoder
 * outputs, concatenated, predicts where the second patch lies around the first (8 positions).
 * Sentence-order prediction (ALBERT's SOP) is the same with 2 classes: the views are two
 * consecutive segments of a sequence (see {@code SegmentPairs}), in order or swapped.
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
    private final int classes;
    private final String name;
    private final Head head;
    private final INDArray in;
    private final INDArray inFirst;
    private final INDArray inSecond;
    private final double[] logits;
    private final double[] dLogits;
    private double accuracy = Double.NaN;
    private double contrastWeight;
    private SimClr contrast;
    private INDArray contrastGradient;
    private boolean[] anchored;
    private double contrastLoss = Double.NaN;

    /**
     * @param dim the encoder's output width
     * @param hidden the head's hidden width
     * @param dtype the online encoder's float type (DOUBLE in gradient checks)
     */
    public ContextPrediction(int pairs, int dim, int hidden, DataType dtype, long seed) {
        this("context", POSITIONS, pairs, dim, hidden, dtype, seed);
    }

    /** Sentence-order prediction: two classes, in order (0) or swapped (1). */
    public static ContextPrediction sentenceOrder(int pairs, int dim, int hidden, DataType dtype, long seed) {
        return sentenceOrder(pairs, dim, hidden, dtype, seed, false);
    }

    /**
     * Sentence-order prediction; with {@code otherSegments}, a third class (2): the two segments
     * come from two samples (NSP's random next segment).
     */
    public static ContextPrediction sentenceOrder(int pairs, int dim, int hidden, DataType dtype, long seed, boolean otherSegments) {
        return sentenceOrder(pairs, dim, hidden, dtype, seed, otherSegments, 0, 1);
    }

    /**
     * Sentence-order prediction beside a content term, as ALBERT trains SOP beside masked language
     * modelling: with {@code contrastWeight} λ > 0 the loss adds λ × NT-Xent (at {@code
     * temperature}) in which each sample's two segments are each other's positive and the batch's
     * other segments the negatives (a pair of two samples' segments, NSP's third class, is no
     * positive: its rows are negatives only). The order head alone learns what tells a sequence's
     * start from its end; the content term, what tells one sequence from another.
     */
    public static ContextPrediction sentenceOrder(int pairs, int dim, int hidden, DataType dtype, long seed, boolean otherSegments,
            double contrastWeight, double temperature) {
        ContextPrediction sop = new ContextPrediction("sop", otherSegments ? 3 : 2, pairs, dim, hidden, dtype, seed);
        if (!(contrastWeight >= 0)) throw new IllegalArgumentException("sop's contrast weight must be at least 0, got " + contrastWeight);
        if (contrastWeight > 0) {
            sop.contrastWeight = contrastWeight;
            sop.contrast = new SimClr(pairs, dim, temperature);
            sop.contrastGradient = Nd4j.create(dtype, 2L * pairs, dim);
            sop.anchored = new boolean[pairs];
        }
        return sop;
    }

    private ContextPrediction(String name, int classes, int pairs, int dim, int hidden, DataType dtype, long seed) {
        this.name = name;
        this.classes = classes;
        this.pairs = pairs;
        this.dim = dim;
        head = new Head("head", 2 * dim, hidden, classes, pairs, dtype, seed);
        in = Nd4j.create(dtype, pairs, 2 * dim);
        inFirst = in.get(NDArrayIndex.all(), NDArrayIndex.interval(0, dim));
        inSecond = in.get(NDArrayIndex.all(), NDArrayIndex.interval(dim, 2 * dim));
        logits = new double[pairs * classes];
        dLogits = new double[pairs * classes];
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean needsTargets() {
        return true;
    }

    @Override
    public double lossAndGradient(Batch batch, INDArray dz) {
        int[] targets = batch.targets();
        if (targets == null || targets.length < pairs) {
            throw new IllegalStateException(name + " needs each pair's class (its views must be patch or segment pairs)");
        }
        INDArray z = batch.z();
        inFirst.assign(z.get(NDArrayIndex.interval(0, pairs), NDArrayIndex.all()));
        inSecond.assign(z.get(NDArrayIndex.interval(pairs, 2 * pairs), NDArrayIndex.all()));
        Rows.read(head.forward(in), logits);
        int counted = 0;
        for (int i = 0; i < pairs; i++) if (targets[i] >= 0) counted++;
        double loss = 0;
        int right = 0;
        java.util.Arrays.fill(dLogits, 0);
        for (int i = 0; i < pairs; i++) {
            int t = targets[i];
            if (t < 0) continue; // a pair without a position (built by an earlier version): no loss
            if (t >= classes) throw new IllegalStateException("position " + t + " of pair " + i);
            int o = i * classes;
            double max = Double.NEGATIVE_INFINITY;
            int best = 0;
            for (int k = 0; k < classes; k++) {
                if (logits[o + k] > max) {
                    max = logits[o + k];
                    best = k;
                }
            }
            if (best == t) right++;
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += Math.exp(logits[o + k] - max);
            loss += Math.log(sum) + max - logits[o + t];
            for (int k = 0; k < classes; k++) {
                dLogits[o + k] = (Math.exp(logits[o + k] - max) / sum - (k == t ? 1 : 0)) / counted;
            }
        }
        if (counted == 0) {
            dz.assign(0);
            head.gradients().assign(0);
            return 0;
        }
        loss /= counted;
        accuracy = (double) right / counted;
        if (!Double.isFinite(loss)) return loss;
        Rows.write(dLogits, head.outputGradient());
        INDArray dIn = head.backward(in);
        dz.get(NDArrayIndex.interval(0, pairs), NDArrayIndex.all())
                .assign(dIn.get(NDArrayIndex.all(), NDArrayIndex.interval(0, dim)));
        dz.get(NDArrayIndex.interval(pairs, 2 * pairs), NDArrayIndex.all())
                .assign(dIn.get(NDArrayIndex.all(), NDArrayIndex.interval(dim, 2 * dim)));
        if (contrast != null) {
            // the two segments of one sample (classes 0 and 1) are positives; another sample's (2) or none (-1) are not
            for (int i = 0; i < pairs; i++) anchored[i] = targets[i] == 0 || targets[i] == 1;
            contrastLoss = contrast.lossAndGradient(z, contrastGradient, anchored);
            loss += contrastWeight * contrastLoss;
            dz.addi(contrastGradient.muli(contrastWeight));
        }
        return loss;
    }

    /** The content term's NT-Xent of the last step (before its weight); NaN without the term. */
    public double contrastLoss() {
        return contrastLoss;
    }

    @Override
    public void update(double learningRate, HyperParams hp, INDArray onlineParams) {
        head.update(learningRate, hp);
    }

    @Override
    public void discard() {
        head.discard();
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> s = new LinkedHashMap<>();
        head.putState(s);
        return s;
    }

    @Override
    public void clearMomentum() {
        head.clearMomentum();
    }

    /** The share of the last step's pairs whose class the head predicted (chance: 1/8, or 1/2 for SOP). */
    @Override
    public double accuracy() {
        return accuracy;
    }

    /** The head's gradient of the last step, for tests. */
    INDArray headGradients() {
        return head.gradients();
    }
}
