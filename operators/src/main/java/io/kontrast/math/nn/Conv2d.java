package io.kontrast.math.nn;

import io.kontrast.math.Sgemm;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code conv2d}: cross-correlation with a {@code k×k} window, stride {@code s} and zero padding
 * {@code p}; weights {@code [k, k, in, out]}, bias {@code [out]}; NHWC activations. {@code conv1d}
 * is the same on a sequence ({@code F×1×T}): a {@code 1×k} window, stride and padding along time
 * only, weights {@code [1, k, in, out]}.
 *
 * <p>Forward and backward run on libnd4j's {@code conv2d} / {@code conv2d_bp} (oneDNN in the CPU
 * build). Where no gradient flows into the input (the network's first layer), the weight
 * gradient is one GEMM over an im2col matrix instead: {@code conv2d_bp} also computes the input
 * gradient, and with few input channels its generic kernel is slow (37 ms a batch for one channel).
 */
final class Conv2d extends Layer {
    final int k;
    final int s;
    final int p;
    // The window's height, stride and padding along the height: k, s and p, or 1, 1 and 0 for conv1d.
    final int kh;
    final int sh;
    final int ph;
    final boolean oneD;

    Conv2d(String name, Shape in, int outChannels, int kernel, int stride, int padding) {
        this(name, in, outChannels, kernel, stride, padding, false);
    }

    /** With {@code oneD}, a {@code conv1d} on a sequence: the window, stride and padding act along time only. */
    Conv2d(String name, Shape in, int outChannels, int kernel, int stride, int padding, boolean oneD) {
        super(name, in, outShape(name, in, outChannels, kernel, stride, padding, oneD));
        this.k = kernel;
        this.s = stride;
        this.p = padding;
        this.oneD = oneD;
        this.kh = oneD ? 1 : kernel;
        this.sh = oneD ? 1 : stride;
        this.ph = oneD ? 0 : padding;
    }

    private static Shape outShape(String name, Shape in, int out, int k, int s, int p, boolean oneD) {
        String kind = oneD ? "conv1d" : "conv2d";
        if (out < 1 || k < 1 || s < 1 || p < 0 || p >= k) {
            throw new IllegalArgumentException("layer " + name + " (" + kind + "): needs out_channels >= 1, kernel_size >= 1, stride >= 1 "
                    + "and 0 <= padding < kernel_size, got " + out + ", " + k + ", " + s + ", " + p);
        }
        if (oneD && in.height() != 1) {
            throw new IllegalArgumentException("layer " + name + " (conv1d): needs a sequence (TxF), got " + in);
        }
        int kh = oneD ? 1 : k;
        int ph = oneD ? 0 : p;
        int sh = oneD ? 1 : s;
        int h = (in.height() + 2 * ph - kh) / sh + 1;
        int w = (in.width() + 2 * p - k) / s + 1;
        if (in.height() + 2 * ph < kh || in.width() + 2 * p < k) {
            throw new IllegalArgumentException("layer " + name + " (" + kind + "): a " + (oneD ? "length-" + k : k + "x" + k)
                    + " kernel does not fit its " + in + " input with padding " + p);
        }
        return new Shape(out, h, w);
    }

    @Override
    String kind() {
        return oneD ? "conv1d" : "conv2d";
    }

    @Override
    List<Tensor> tensors() {
        return List.of(new Tensor("weight", kh, k, in.channels(), out.channels()), new Tensor("bias", out.channels()));
    }

    @Override
    void init(double[] params, double[] stats, SplittableRandom rnd) {
        uniform(params, rnd, paramOffset, paramOffset + paramCount(), (long) kh * k * in.channels());
    }

    private int colsWidth() {
        return kh * k * in.channels();
    }

    private long positions(int batch) {
        return (long) batch * out.area();
    }

    @Override
    long[] scratch(int batch, int groups, boolean inputGrad, boolean inputWritable) {
        long w = (long) kh * k * in.channels() * out.channels();
        return inputGrad
                ? new long[] {w, out.channels()}
                : new long[] {positions(batch) * colsWidth(), positions(batch)};
    }

    @Override
    Object bind(Node n, int groups) {
        if (n.dIn == null) {
            n.scratch[0] = n.scratch[0].reshape('c', positions(n.in.batch), colsWidth());
            n.scratch[1] = n.scratch[1].reshape('c', 1, positions(n.in.batch)).assign(1);
        } else {
            n.scratch[0] = n.scratch[0].reshape('c', kh, k, in.channels(), out.channels());
        }
        return null;
    }

    private int[] args() {
        return new int[] {kh, k, sh, s, ph, p, 1, 1, 0, 1, 0};
    }

    @Override
    void forward(Node n, Pass pass) {
        INDArray[] w = pass.p(this);
        Nd4j.exec(DynamicCustomOp.builder("conv2d")
                .addInputs(n.in.nhwc, w[0], w[1])
                .addOutputs(n.out.nhwc)
                .addIntegerArguments(args())
                .build());
    }

    @Override
    void backward(Node n, Pass pass) {
        INDArray[] w = pass.p(this);
        INDArray[] g = pass.g(this);
        if (n.dIn != null) {
            Nd4j.exec(DynamicCustomOp.builder("conv2d_bp")
                    .addInputs(n.in.nhwc, w[0], w[1], n.dOut.nhwc)
                    .addOutputs(n.dIn.nhwc, n.scratch[0], n.scratch[1])
                    .addIntegerArguments(args())
                    .build());
            g[0].assign(n.scratch[0]);
            g[1].assign(n.scratch[1]);
            return;
        }
        im2col(n.in.flat, n.scratch[0], n.in.batch);
        Sgemm.gemm(n.scratch[0], n.dOut.rows, g[0].reshape('c', colsWidth(), out.channels()), true, false, 1.0, 0.0);
        Sgemm.gemm(n.scratch[1], n.dOut.rows, g[1].reshape('c', 1, out.channels()), false, false, 1.0, 0.0);
    }

    /**
     * The {@code kh×k×C} patch (zero padded) under each output position of NHWC images {@code x}
     * as one row of {@code cols}, in (ky, kx, c) order: the weights' row order.
     */
    private void im2col(INDArray x, INDArray cols, int batch) {
        Mem src = Mem.of(x);
        Mem dst = Mem.of(cols);
        int h = in.height();
        int wd = in.width();
        int c = in.channels();
        int oh = out.height();
        int ow = out.width();
        int width = colsWidth();
        IntStream.range(0, batch).parallel().forEach(b -> {
            int img = b * h * wd * c;
            for (int y = 0; y < oh; y++) {
                for (int xo = 0; xo < ow; xo++) {
                    int row = ((b * oh + y) * ow + xo) * width;
                    int col = 0;
                    for (int ky = 0; ky < kh; ky++) {
                        int yy = y * sh + ky - ph;
                        for (int kx = 0; kx < k; kx++) {
                            int xx = xo * s + kx - p;
                            boolean inside = yy >= 0 && yy < h && xx >= 0 && xx < wd;
                            int at = img + (yy * wd + xx) * c;
                            for (int ch = 0; ch < c; ch++, col++) {
                                dst.put(row + col, inside ? src.get(at + ch) : 0);
                            }
                        }
                    }
                }
            }
        });
    }

    @Override
    double flops() {
        return 2.0 * out.area() * kh * k * in.channels() * out.channels();
    }

    @Override
    Map<String, String> attributes() {
        return Map.of("in_channels", Integer.toString(in.channels()), "out_channels", Integer.toString(out.channels()),
                "kernel_size", Integer.toString(k), "stride", Integer.toString(s), "padding", Integer.toString(p));
    }
}
