package io.kontrast.math.nn;

import io.kontrast.math.Lanes;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer kind, built for one input shape: shape inference, its parameters and running
 * statistics (their sizes, names and initial values), the arena scratch it needs, forward and
 * backward. After darknet's {@code layer} and Caffe's {@code Forward_cpu}/{@code Backward_cpu}: a
 * small record of functions, and nothing else.
 *
 * <p>A layer's parameters sit at {@link #paramOffset} of the network's flat parameter buffer (the
 * gradients and the optimizer's state share that layout), its running statistics at {@link
 * #statsOffset} of the separate statistics buffer, which neither the optimizer nor weight decay
 * touches.
 *
 * <p>Backward reads {@code dOut} and writes {@code dIn} (when not null) and the layer's gradients,
 * overwriting them. It never writes {@code dOut} unless {@code dIn} is the same memory (a layer
 * that works in place).
 */
abstract class Layer {
    final String name;
    final Shape in;
    final Shape out;
    long paramOffset;
    long statsOffset;
    /** Position in the network's layers, depth first (the key of per-layer views). */
    int index;

    Layer(String name, Shape in, Shape out) {
        this.name = name;
        this.in = in;
        this.out = out;
    }

    abstract String kind();

    /** A parameter tensor: its name after the layer's ({@code weight}, {@code bias}, …) and shape. */
    record Tensor(String suffix, long... shape) {
        long size() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }
    }

    /** The layer's parameter tensors, in layout order. */
    List<Tensor> tensors() {
        return List.of();
    }

    final long paramCount() {
        long n = 0;
        for (Tensor t : tensors()) n += t.size();
        return n;
    }

    /** Length of the layer's running statistics. */
    long statsCount() {
        return 0;
    }

    /** Writes initial parameters at {@link #paramOffset} and statistics at {@link #statsOffset}. */
    void init(double[] params, double[] stats, SplittableRandom rnd) {}

    /** Nested layers (a residual block's), in layout order after this one's own parameters. */
    List<Layer> children() {
        return List.of();
    }

    /** Whether the output may overwrite the input's memory (then dIn and dOut share theirs too). */
    boolean inPlace() {
        return false;
    }

    /** Whether the output is the input's memory seen in another shape, never written (flatten). */
    boolean alias() {
        return false;
    }

    /** Whether backward reads this layer's output (so that no later layer may overwrite it). */
    boolean backwardNeedsOutput() {
        return false;
    }

    /**
     * Arena scratch arrays this layer needs in a workspace of {@code batch} samples, as lengths;
     * {@code groups}: batch-norm groups in training; {@code inputGrad}: whether backward must
     * compute dLoss/dInput; {@code inputWritable}: whether the layer may overwrite its input
     * (nothing else reads it), as {@link Node#inputWritable} says.
     */
    long[] scratch(int batch, int groups, boolean inputGrad, boolean inputWritable) {
        return new long[0];
    }

    /**
     * Prepares what the layer's passes need in one workspace (views of its scratch, column
     * vectors), once; stored in {@link Node#state}. {@code groups}: batch-norm groups in training.
     */
    Object bind(Node node, int groups) {
        return null;
    }

    abstract void forward(Node n, Pass pass);

    abstract void backward(Node n, Pass pass);

    /**
     * {@link #backward(Node, Pass)} with two {@link Lanes} to split the work over (never null);
     * by default the lanes go unused.
     */
    void backward(Node n, Pass pass, Lanes lanes) {
        backward(n, pass);
    }

    /**
     * Whether two forward passes of this layer on two workspaces may run at once on two threads:
     * its kernels keep no state outside the workspace and are fast on one thread each.
     */
    boolean concurrentForward() {
        return false;
    }

    /** FLOPs of one forward pass of one sample (two per multiply-add). */
    double flops() {
        return 0;
    }

    /** PyTorch's default for conv and linear layers: weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
    static void uniform(double[] v, SplittableRandom rnd, long from, long to, long fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        for (long i = from; i < to; i++) v[(int) i] = (rnd.nextDouble() * 2 - 1) * bound;
    }

    /** Attributes as snapshots publish them (decimal strings), for {@code layers}. */
    java.util.Map<String, String> attributes() {
        return java.util.Map.of();
    }
}
