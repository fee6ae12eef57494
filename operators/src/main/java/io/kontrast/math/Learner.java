package io.kontrast.math;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the trainer needs of a contrastive learner, whatever its objective: an online encoder
 * (whose backbone is published) trained step by step on batches of view pairs, and the learning
 * state around it as flat vectors that checkpoints copy and restores assign into.
 *
 * <p>State is the online encoder's {@link #params}, {@link #stats} and {@link #velocity}, the
 * objective's named buffers ({@link #state}: a momentum encoder, a predictor and its optimizer
 * state), the key queue when the objective keeps one ({@link #queueSize} &gt; 0), and the counters
 * of {@link #restoreCounters}. Restoring all of it gives the same next step as an uninterrupted run.
 */
public interface Learner extends AutoCloseable {
    /** The objective's name as snapshots record it, for example {@code moco-v2} or {@code simclr}. */
    String objective();

    /**
     * One training step on {@code batch} view pairs ({@code [batch, in]} each, normalised).
     * Returns the loss before the update, or NaN if the step was not finite and changed nothing.
     */
    float step(INDArray viewsA, INDArray viewsB);

    /**
     * {@link #step(INDArray, INDArray)} with the instance of each sample (its id, or the attribute
     * naming its object): objectives that keep one entry per instance use them; others ignore them.
     */
    default float step(INDArray viewsA, INDArray viewsB, String[] instances) {
        return step(viewsA, viewsB);
    }

    /**
     * {@link #step(INDArray, INDArray, String[])} with each sample's target, a class its views
     * encode (context prediction: where the second patch lies around the first); null, or -1 for
     * a sample, when the views carry none. Objectives that predict it use it; others ignore it.
     */
    default float step(INDArray viewsA, INDArray viewsB, String[] instances, int[] targets) {
        return step(viewsA, viewsB, instances);
    }

    /** Whether the objective needs each sample's target, so that the views must carry one. */
    default boolean needsTargets() {
        return false;
    }

    /** The objective's memory bank of one feature per instance, or null when it keeps none. */
    default io.kontrast.math.objective.MemoryBank bank() {
        return null;
    }

    Network network();

    HyperParams hyperParams();

    /** The online encoder's parameters (published in snapshots). */
    INDArray params();

    /** The online encoder's running statistics (batch norm); one unused value without. */
    INDArray stats();

    /** The optimizer's momentum for {@link #params}. */
    INDArray velocity();

    /**
     * The objective's own learning state, by name, in a fixed order: buffers to copy into a
     * checkpoint and to assign into on restore. Empty when the objective has none.
     */
    Map<String, INDArray> state();

    /** Sets every optimizer momentum (the encoder's and the objective's) to zero, after a rollback. */
    void clearMomentum();

    /** Keys in the objective's queue, 0 without one. */
    default int queueSize() {
        return 0;
    }

    /** Keys written into the queue per step. */
    default int keysPerStep() {
        return 0;
    }

    /** The queue slot the next step writes first. */
    default int queuePointer() {
        return 0;
    }

    /** A copy of the key in queue slot {@code slot}. */
    default float[] queueRow(int slot) {
        throw new UnsupportedOperationException(objective() + " keeps no queue");
    }

    /** Writes one key of the queue (restoring from a checkpoint). */
    default void restoreQueueRow(int slot, float[] key) {
        throw new UnsupportedOperationException(objective() + " keeps no queue");
    }

    long step();

    long skippedSteps();

    float lastLoss();

    /** Restores progress counters (the buffers are restored by assigning into them). */
    void restoreCounters(long step, int queuePointer, long skippedSteps, float lastLoss);

    /**
     * The L2-normalised outputs of the last step for one view of each sample, {@code [batch,
     * network().outputDim()]} row-major (which view is the learner's choice), or null when the
     * learner keeps none. Valid until the next step; the caller must not change it.
     */
    default float[] features() {
        return null;
    }

    /** Mean over dimensions of the per-dimension std of the last batch's normalised outputs: near 0 is collapse. */
    double embeddingStd();

    /** The objective's classifier head's accuracy on the last step (context, sop); NaN without a head. */
    default double headAccuracy() {
        return Double.NaN;
    }

    /** Embeds {@code x} with the online backbone (batch norm on running statistics) into {@code ws}; returns the view. */
    INDArray represent(INDArray x, Network.Workspace ws);

    /** The online encoder's projector output on {@code x}, as published encoders compute it. */
    INDArray project(INDArray x, Network.Workspace ws);

    /**
     * {@link #represent} of every row of {@code x} ({@code [n, in]}, float), {@code chunk} rows at
     * a time through one workspace of {@code chunk} rows, into a new {@code [n, dim]} array. A
     * workspace for thousands of rows makes the convolutions several times slower than chunks of a
     * training batch.
     */
    default INDArray representAll(INDArray x, int chunk) {
        return inChunks(x, chunk, true);
    }

    /** {@link #project} of every row of {@code x}, as {@link #representAll} does it. */
    default INDArray projectAll(INDArray x, int chunk) {
        return inChunks(x, chunk, false);
    }

    private INDArray inChunks(INDArray x, int chunk, boolean represent) {
        int n = (int) x.rows();
        int width = (int) x.columns();
        chunk = Math.max(1, Math.min(chunk, n));
        float[] all = x.dup('c').data().asFloat();
        Network.Workspace ws = network().newWorkspace(chunk);
        float[] rows = new float[chunk * width];
        INDArray out = null;
        for (int from = 0; from < n; from += chunk) {
            int count = Math.min(chunk, n - from);
            System.arraycopy(all, from * width, rows, 0, count * width);
            java.util.Arrays.fill(rows, count * width, rows.length, 0f);
            INDArray in = org.nd4j.linalg.factory.Nd4j.createFromArray(rows).reshape(chunk, width);
            INDArray f = represent ? represent(in, ws) : project(in, ws);
            if (out == null) out = org.nd4j.linalg.factory.Nd4j.create(f.dataType(), n, f.columns());
            for (int r = 0; r < count; r++) out.putRow(from + r, f.getRow(r));
        }
        return out;
    }

    /** Whether steps run in two {@link Lanes}. */
    boolean lanes();

    /** Runs two independent parts of the caller's work side by side in the learner's lanes, or one after the other. */
    void inLanes(Runnable onHelper, Runnable onCaller);

    /** Time this learner's thread has waited for its helper lane, in total; 0 without lanes. */
    long laneWaitNanos();

    /** Whether the optimizer runs as one vectorised pass rather than as BLAS level-1 calls. */
    boolean fusedUpdate();

    /** Stops helper threads; the learner must not step after. */
    @Override
    void close();
}
