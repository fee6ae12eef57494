package io.kontrast.math.objective;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The optimizer's arithmetic, as BLAS level-1 calls on flat buffers. */
final class Sgd {
    private Sgd() {}

    /**
     * SGD with momentum and weight decay in PyTorch's form: {@code g += wd θ; v = μ v + g; θ -= lr v}.
     * {@code grads} is overwritten.
     */
    static void step(INDArray params, INDArray grads, INDArray velocity, double lr, double weightDecay, double momentum) {
        var blas = Nd4j.getBlasWrapper().level1();
        long n = params.length();
        blas.axpy(n, weightDecay, params, grads);
        blas.scal(n, momentum, velocity);
        blas.axpy(n, 1.0, grads, velocity);
        blas.axpy(n, -lr, velocity, params);
    }

    /** {@code target = m target + (1 - m) online}. */
    static void ema(INDArray target, INDArray online, double m) {
        var blas = Nd4j.getBlasWrapper().level1();
        long n = target.length();
        blas.scal(n, m, target);
        blas.axpy(n, 1.0 - m, online, target);
    }
}
