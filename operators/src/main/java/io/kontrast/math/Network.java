package io.kontrast.math;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An encoder with hand-written forward and backward passes over flat buffers: a backbone (whose
 * output is the published representation) followed by a projection head.
 *
 * <p>Two flat float vectors describe a network: the trained parameters, and the running
 * statistics (batch norm's running means and variances; empty when the network has no batch
 * norm). Keeping each in one buffer lets the optimizer, the EMA and checkpoints treat them as
 * single vectors. Gradients use the parameter layout.
 *
 * <p>A {@link Workspace} holds every activation for one batch size, allocated once: a training
 * step allocates no large arrays.
 */
public interface Network {
    /** Encoder family, as written in snapshots: {@code mlp} or {@code cnn}. */
    String architecture();

    /** Values in one flattened input sample. */
    int inputDim();

    /** Width of the projection head's output. */
    int outputDim();

    /** Width of the backbone's output: the representation. */
    int representationDim();

    long paramCount();

    /** Length of the running-statistics buffer; 0 for a network without batch norm. */
    long statsCount();

    /** Fills fresh parameters (PyTorch's default initialisation) and running statistics. */
    void init(INDArray params, INDArray stats, long seed);

    Workspace newWorkspace(int batch);

    /**
     * Forward pass of {@code x} ({@code [batch, inputDim]}, c-order); returns the head's output
     * (a view into the workspace). In training mode batch norm uses the batch's statistics and,
     * when {@code stats} is not null, updates the running statistics in it; otherwise batch norm
     * uses the running statistics.
     */
    INDArray forward(INDArray params, INDArray stats, INDArray x, Workspace ws, boolean training);

    /** The backbone output of the last {@link #forward} on {@code ws}. */
    INDArray representation(Workspace ws);

    /** A {@code [batch, outputDim]} buffer of {@code ws} to write dLoss/dOutput into. */
    INDArray outputGradient(Workspace ws);

    /**
     * Backward pass after a training-mode {@link #forward} on the same workspace: writes
     * dLoss/dParams into {@code grads} (overwriting it) given {@code dOut}. {@code dOut} may be
     * overwritten.
     */
    void backward(INDArray params, INDArray x, Workspace ws, INDArray dOut, INDArray grads);

    /**
     * {@link #backward} with two {@link Lanes} to split the work over (null: none). By default the
     * lanes go unused.
     */
    default void backward(INDArray params, INDArray x, Workspace ws, INDArray dOut, INDArray grads, Lanes lanes) {
        backward(params, x, ws, dOut, grads);
    }

    /**
     * Whether two forward passes on distinct workspaces may run at once on two threads (the key
     * and the query encoder's, in {@link Lanes}).
     */
    default boolean concurrentForward() {
        return false;
    }

    /** Multiply-adds of one forward pass of one sample (for throughput reports). */
    double forwardFlops();

    /** FLOPs of the first layer's forward pass on one sample (its input needs no gradient). */
    double firstLayerFlops();

    /**
     * Whether a training-mode forward couples the samples of a batch in groups (split batch
     * norm), so that the key encoder must see the batch in another order than the query encoder:
     * otherwise a query and its key share their group's statistics, a shortcut that lowers the
     * loss without learning features (MoCo's shuffle BN).
     */
    default boolean shufflesKeys() {
        return false;
    }

    default INDArray newParams() {
        return org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, paramCount());
    }

    default INDArray newStats() {
        return org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, Math.max(1, statsCount()));
    }

    /** Preallocated buffers of one batch size. */
    interface Workspace {
        int batch();
    }
}
