package io.kontrast.math.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one forward or backward pass reads and writes besides activations: the parameters, the
 * gradients (backward), and the running statistics, each as per-layer views of a flat buffer.
 *
 * <p>In training, batch norm uses the batch's statistics and updates the running ones when {@code
 * stats} is not null; otherwise it uses the running statistics.
 */
final class Pass {
    final INDArray[][] params;
    final INDArray[][] grads;
    final INDArray[][] stats;
    final boolean training;

    Pass(INDArray[][] params, INDArray[][] grads, INDArray[][] stats, boolean training) {
        this.params = params;
        this.grads = grads;
        this.stats = stats;
        this.training = training;
    }

    INDArray[] p(Layer l) {
        return params[l.index];
    }

    INDArray[] g(Layer l) {
        return grads[l.index];
    }

    /** The layer's running statistics (mean, variance), or null when they are not to be used or updated. */
    INDArray[] s(Layer l) {
        return stats == null ? null : stats[l.index];
    }
}
