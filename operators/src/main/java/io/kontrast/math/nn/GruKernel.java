package io.kontrast.math.nn;

import io.kontrast.math.Sgemm;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A gated recurrent unit over a batch of sequences, forward and backward through time, in
 * PyTorch's formulation (gates in the order r, z, n; the reset gate applied after the hidden
 * state's linear map, as ONNX's {@code linear_before_reset = 1}):
 *
 * <pre>
 *   r = σ(x Wᵢᵣ + bᵢᵣ + h Wₕᵣ + bₕᵣ)
 *   z = σ(x Wᵢ_z + bᵢ_z + h Wₕ_z + bₕ_z)
 *   n = tanh(x Wᵢₙ + bᵢₙ + r ⊙ (h Wₕₙ + bₕₙ))
 *   h' = (1 − z) ⊙ n + z ⊙ h,   h₀ = 0
 * </pre>
 *
 * <p>The input's part of every step is one GEMM over all steps at once; each step then costs one
 * GEMM against the hidden state and an element-wise pass in Java. Backward runs the steps in
 * reverse, accumulating the hidden weights' gradient one GEMM per step, and ends with the input
 * weights' gradient and the input's, one GEMM each.
 *
 * <p>Weights are {@code [in, 3H]} and {@code [H, 3H]} (the layer library's {@code x W} layout),
 * biases {@code [3H]}. Sequences are {@code [B, T, F]}, c-order: step-major within a sample. Its
 * scratch comes from whoever owns it (a network's arena, or {@link #allocate}), sized by {@link
 * #scratchLengths}; nothing is allocated per call.
 */
public final class GruKernel {
    /** Cuts {@code length} values from scratch array {@code i} at {@code from}. */
    interface Scratch {
        INDArray range(int i, long from, long length);
    }

    private final int batch;
    private final int steps;
    private final int in;
    private final int hidden;
    private final boolean sequence;
    /** x W + b per (sample, step) row, {@code [B·T, 3H]}; backward overwrites it with its gradient. */
    private final INDArray gx;
    /** Hidden states per step, {@code [T][B, H]}. */
    private final INDArray[] h;
    /** r, z, n per step, {@code [T][B, 3H]}. */
    private final INDArray[] gates;
    /** h Wₕₙ + bₕₙ per step, {@code [T][B, H]}. */
    private final INDArray[] hn;
    /** The hidden state's GEMM of one step; backward: the gradient of its output. */
    private final INDArray gh;
    private final INDArray dh;
    private final INDArray dhPrev;
    private final INDArray ones;

    /** Lengths of the scratch arrays, in the order {@link Scratch} is asked for them. */
    static long[] scratchLengths(int batch, int steps, int hidden) {
        long bh = (long) batch * hidden;
        return new long[] {3 * bh * steps, bh * steps, 3 * bh * steps, bh * steps, 3 * bh, bh, bh, (long) batch * steps};
    }

    GruKernel(int batch, int steps, int in, int hidden, boolean sequence, Scratch scratch) {
        this.batch = batch;
        this.steps = steps;
        this.in = in;
        this.hidden = hidden;
        this.sequence = sequence;
        long bh = (long) batch * hidden;
        gx = scratch.range(0, 0, 3 * bh * steps).reshape('c', (long) batch * steps, 3L * hidden);
        h = new INDArray[steps];
        gates = new INDArray[steps];
        hn = new INDArray[steps];
        for (int t = 0; t < steps; t++) {
            h[t] = scratch.range(1, t * bh, bh).reshape('c', batch, hidden);
            gates[t] = scratch.range(2, 3 * t * bh, 3 * bh).reshape('c', batch, 3L * hidden);
            hn[t] = scratch.range(3, t * bh, bh).reshape('c', batch, hidden);
        }
        gh = scratch.range(4, 0, 3 * bh).reshape('c', batch, 3L * hidden);
        dh = scratch.range(5, 0, bh).reshape('c', batch, hidden);
        dhPrev = scratch.range(6, 0, bh).reshape('c', batch, hidden);
        ones = scratch.range(7, 0, (long) batch * steps).reshape('c', 1, (long) batch * steps).assign(1);
    }

    /**
     * A kernel with scratch of its own, for users outside a network (an objective's context model).
     *
     * @param sequence whether the output is every step's hidden state ({@code [B, T·H]}) or the last one ({@code [B, H]})
     */
    public static GruKernel allocate(int batch, int steps, int in, int hidden, boolean sequence, DataType dtype) {
        long[] lengths = scratchLengths(batch, steps, hidden);
        INDArray[] arrays = new INDArray[lengths.length];
        for (int i = 0; i < lengths.length; i++) arrays[i] = Nd4j.create(dtype, lengths[i]);
        return new GruKernel(batch, steps, in, hidden, sequence, (i, from, length) ->
                from == 0 && length == arrays[i].length() ? arrays[i] : arrays[i].get(NDArrayIndex.interval(from, from + length)));
    }

    /**
     * @param x {@code [B·T, F]}, rows (sample, step)
     * @param wx {@code [F, 3H]}
     * @param wh {@code [H, 3H]}
     * @param bx {@code [3H]}
     * @param bh {@code [3H]}
     * @param y {@code [B, T·H]} for a sequence output, {@code [B, H]} for the last step's
     */
    public void forward(INDArray x, INDArray wx, INDArray wh, INDArray bx, INDArray bh, INDArray y) {
        Sgemm.gemm(x, wx, gx, false, false, 1.0, 0.0);
        gx.addiRowVector(bx);
        Mem g = Mem.of(gx);
        Mem b2 = Mem.of(bh);
        Mem ghm = Mem.of(gh);
        int hd = hidden;
        for (int t = 0; t < steps; t++) {
            if (t > 0) Sgemm.gemm(h[t - 1], wh, gh, false, false, 1.0, 0.0);
            Mem prev = t > 0 ? Mem.of(h[t - 1]) : null;
            Mem hs = Mem.of(h[t]);
            Mem gs = Mem.of(gates[t]);
            Mem hns = Mem.of(hn[t]);
            for (int b = 0; b < batch; b++) {
                int gi = (b * steps + t) * 3 * hd;
                int hi = b * 3 * hd;
                for (int j = 0; j < hd; j++) {
                    double ghr = prev == null ? 0 : ghm.get(hi + j);
                    double ghz = prev == null ? 0 : ghm.get(hi + hd + j);
                    double ghn = prev == null ? 0 : ghm.get(hi + 2 * hd + j);
                    double r = sigmoid(g.get(gi + j) + ghr + b2.get(j));
                    double z = sigmoid(g.get(gi + hd + j) + ghz + b2.get(hd + j));
                    double hnv = ghn + b2.get(2 * hd + j);
                    double n = tanh(g.get(gi + 2 * hd + j) + r * hnv);
                    double hp = prev == null ? 0 : prev.get(b * hd + j);
                    hs.put(b * hd + j, (1 - z) * n + z * hp);
                    gs.put(hi + j, r);
                    gs.put(hi + hd + j, z);
                    gs.put(hi + 2 * hd + j, n);
                    hns.put(b * hd + j, hnv);
                }
            }
        }
        Mem out = Mem.of(y);
        if (sequence) {
            for (int t = 0; t < steps; t++) {
                Mem hs = Mem.of(h[t]);
                for (int b = 0; b < batch; b++) {
                    int o = (b * steps + t) * hd;
                    for (int j = 0; j < hd; j++) out.put(o + j, hs.get(b * hd + j));
                }
            }
        } else {
            Mem hs = Mem.of(h[steps - 1]);
            for (int i = 0; i < batch * hd; i++) out.put(i, hs.get(i));
        }
    }

    /**
     * Backward through time after {@link #forward} on the same input; the gradients are
     * overwritten.
     *
     * @param dy the output's gradient, shaped as forward's {@code y}
     * @param dx {@code [B·T, F]}, or null when no gradient flows into the input
     */
    public void backward(INDArray x, INDArray wx, INDArray wh, INDArray dy, INDArray dx,
            INDArray gwx, INDArray gwh, INDArray gbx, INDArray gbh) {
        int hd = hidden;
        Mem dyM = Mem.of(dy);
        Mem g = Mem.of(gx);
        Mem dghm = Mem.of(gh);
        Mem gb2 = Mem.of(gbh);
        gwh.assign(0);
        gb2.zero(0, 3 * hd);
        INDArray cur = dh;
        INDArray next = dhPrev;
        Mem d = Mem.of(cur);
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < hd; j++) {
                d.put(b * hd + j, sequence ? dyM.get((b * steps + steps - 1) * hd + j) : dyM.get(b * hd + j));
            }
        }
        for (int t = steps - 1; t >= 0; t--) {
            d = Mem.of(cur);
            Mem dp = Mem.of(next);
            Mem prev = t > 0 ? Mem.of(h[t - 1]) : null;
            Mem gs = Mem.of(gates[t]);
            Mem hns = Mem.of(hn[t]);
            for (int b = 0; b < batch; b++) {
                int gi = (b * steps + t) * 3 * hd;
                int hi = b * 3 * hd;
                for (int j = 0; j < hd; j++) {
                    double r = gs.get(hi + j);
                    double z = gs.get(hi + hd + j);
                    double n = gs.get(hi + 2 * hd + j);
                    double hp = prev == null ? 0 : prev.get(b * hd + j);
                    double dv = d.get(b * hd + j);
                    double dan = dv * (1 - z) * (1 - n * n);
                    double daz = dv * (hp - n) * z * (1 - z);
                    double dar = dan * hns.get(b * hd + j) * r * (1 - r);
                    double dhn = dan * r;
                    g.put(gi + j, dar);
                    g.put(gi + hd + j, daz);
                    g.put(gi + 2 * hd + j, dan);
                    dghm.put(hi + j, dar);
                    dghm.put(hi + hd + j, daz);
                    dghm.put(hi + 2 * hd + j, dhn);
                    gb2.add(j, dar);
                    gb2.add(hd + j, daz);
                    gb2.add(2 * hd + j, dhn);
                    dp.put(b * hd + j, dv * z);
                }
            }
            if (t == 0) break;
            Sgemm.gemm(h[t - 1], gh, gwh, true, false, 1.0, 1.0);
            Sgemm.gemm(gh, wh, next, false, true, 1.0, 1.0);
            if (sequence) {
                for (int b = 0; b < batch; b++) {
                    for (int j = 0; j < hd; j++) dp.add(b * hd + j, dyM.get((b * steps + t - 1) * hd + j));
                }
            }
            INDArray swap = cur;
            cur = next;
            next = swap;
        }
        Sgemm.gemm(x, gx, gwx, true, false, 1.0, 0.0);
        Sgemm.gemm(ones, gx, gbx.reshape('c', 1, 3L * hd), false, false, 1.0, 0.0);
        if (dx != null) Sgemm.gemm(gx, wx, dx, false, true, 1.0, 0.0);
    }

    /** FLOPs of one forward pass of one sample. */
    static double flops(int steps, int in, int hidden) {
        return steps * (2.0 * 3 * hidden * (in + hidden) + 12.0 * hidden);
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /** {@code tanh} through {@code exp}, which the JIT compiles to an intrinsic; {@code Math.tanh} is not one. */
    static double tanh(double v) {
        return 1 - 2 / (Math.exp(2 * v) + 1);
    }
}
