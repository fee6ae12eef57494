package io.kontrast.math.nn;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code gru}: a gated recurrent unit of {@code hidden} units over a sequence of {@code T} steps of
 * {@code F} features ({@code F×1×T}), to its last hidden state, a vector of {@code hidden} values.
 * The arithmetic is {@link GruKernel}'s; its scratch comes from the network's arena. Parameters
 * {@code weight_ih} {@code [F, 3H]}, {@code weight_hh} {@code [H, 3H]}, {@code bias_ih} and
 * {@code bias_hh} {@code [3H]}, gates in the order r, z, n; initialised as PyTorch's {@code GRU},
 * U(−1/√H, 1/√H).
 */
final class Gru extends Layer {
    private final int hidden;
    private final boolean sequence;

    /** {@code sequence}: whether the output is every step's hidden state ({@code H×1×T}) instead of the last one. */
    Gru(String name, Shape in, int hidden, boolean sequence) {
        super(name, in, checked(name, in, hidden, sequence));
        this.hidden = hidden;
        this.sequence = sequence;
    }

    private static Shape checked(String name, Shape in, int hidden, boolean sequence) {
        if (in.height() != 1) {
            throw new IllegalArgumentException("layer " + name + " (gru): needs a sequence (TxF) input, got " + in);
        }
        if (hidden < 1) {
            throw new IllegalArgumentException("layer " + name + " (gru): needs hidden_size >= 1, got " + hidden);
        }
        return sequence ? Shape.sequence(in.steps(), hidden) : Shape.vector(hidden);
    }

    @Override
    String kind() {
        return "gru";
    }

    @Override
    List<Tensor> tensors() {
        int f = in.channels();
        return List.of(new Tensor("weight_ih", f, 3L * hidden), new Tensor("weight_hh", hidden, 3L * hidden),
                new Tensor("bias_ih", 3L * hidden), new Tensor("bias_hh", 3L * hidden));
    }

    @Override
    void init(double[] params, double[] stats, SplittableRandom rnd) {
        uniform(params, rnd, paramOffset, paramOffset + paramCount(), hidden);
    }

    @Override
    long[] scratch(int batch, int groups, boolean inputGrad, boolean inputWritable) {
        return GruKernel.scratchLengths(batch, in.steps(), hidden);
    }

    @Override
    Object bind(Node n, int groups) {
        return new GruKernel(n.in.batch, in.steps(), in.channels(), hidden, sequence, n::scratchRange);
    }

    @Override
    void forward(Node n, Pass pass) {
        INDArray[] p = pass.p(this);
        ((GruKernel) n.state).forward(n.in.rows, p[0], p[1], p[2], p[3], n.out.flat);
    }

    @Override
    void backward(Node n, Pass pass) {
        INDArray[] p = pass.p(this);
        INDArray[] g = pass.g(this);
        ((GruKernel) n.state).backward(n.in.rows, p[0], p[1], n.dOut.flat, n.dIn == null ? null : n.dIn.rows,
                g[0], g[1], g[2], g[3]);
    }

    @Override
    double flops() {
        return GruKernel.flops(in.steps(), in.channels(), hidden);
    }

    @Override
    Map<String, String> attributes() {
        return Map.of("input_size", Integer.toString(in.channels()), "hidden_size", Integer.toString(hidden),
                "steps", Integer.toString(in.steps()), "output", sequence ? "sequence" : "last");
    }
}
