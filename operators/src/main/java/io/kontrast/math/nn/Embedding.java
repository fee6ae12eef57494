package io.kontrast.math.nn;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code embedding}: a table of {@code vocab} rows of {@code dim} values; a sample of {@code T}
 * token ids (a vector {@code T×1×1}, each id a whole number in {@code [0, vocab)}) becomes the
 * sequence of its ids' rows, {@code T} steps of {@code dim} features. Initialised as PyTorch's
 * {@code Embedding}, N(0, 1). Backward adds each step's gradient into its id's row; the ids get
 * no gradient (a zero {@code dIn} where one is asked for).
 */
final class Embedding extends Layer {
    final int vocab;
    final int dim;

    Embedding(String name, Shape in, int vocab, int dim) {
        super(name, in, checked(name, in, vocab, dim));
        this.vocab = vocab;
        this.dim = dim;
    }

    private static Shape checked(String name, Shape in, int vocab, int dim) {
        if (!in.isVector()) {
            throw new IllegalArgumentException("layer " + name + " (embedding): needs token ids (a vector of T ids), got " + in
                    + "; it must be the first layer");
        }
        if (vocab < 1 || dim < 1) {
            throw new IllegalArgumentException("layer " + name + " (embedding): needs num_embeddings >= 1 and embedding_dim >= 1, got "
                    + vocab + " and " + dim);
        }
        return Shape.sequence(in.channels(), dim);
    }

    @Override
    String kind() {
        return "embedding";
    }

    @Override
    List<Tensor> tensors() {
        return List.of(new Tensor("weight", vocab, dim));
    }

    @Override
    void init(double[] params, double[] stats, SplittableRandom rnd) {
        for (long i = paramOffset; i < paramOffset + paramCount(); i++) params[(int) i] = rnd.nextGaussian();
    }

    /** The id at {@code i} of {@code ids}, checked. */
    private int id(Mem ids, int i) {
        double v = ids.get(i);
        int id = (int) v;
        if (id != v || id < 0 || id >= vocab) {
            throw new IllegalArgumentException("layer " + name + " (embedding): token " + i % in.size() + " of a sample is " + v
                    + ", not an id in [0, " + vocab + ")");
        }
        return id;
    }

    @Override
    void forward(Node n, Pass pass) {
        Mem ids = Mem.of(n.in.flat);
        Mem y = Mem.of(n.out.flat);
        Mem w = Mem.of(pass.p(this)[0]);
        int tokens = n.in.batch * in.size();
        for (int i = 0; i < tokens; i++) {
            int row = id(ids, i) * dim;
            int at = i * dim;
            for (int d = 0; d < dim; d++) y.put(at + d, w.get(row + d));
        }
    }

    @Override
    void backward(Node n, Pass pass) {
        Mem ids = Mem.of(n.in.flat);
        Mem dy = Mem.of(n.dOut.flat);
        Mem g = Mem.of(pass.g(this)[0]);
        g.zero(0, vocab * dim);
        int tokens = n.in.batch * in.size();
        for (int i = 0; i < tokens; i++) {
            int row = id(ids, i) * dim;
            int at = i * dim;
            for (int d = 0; d < dim; d++) g.add(row + d, dy.get(at + d));
        }
        if (n.dIn != null) n.dIn.flat.assign(0);
    }

    @Override
    double flops() {
        return 0;
    }

    @Override
    Map<String, String> attributes() {
        return Map.of("num_embeddings", Integer.toString(vocab), "embedding_dim", Integer.toString(dim),
                "steps", Integer.toString(in.size()));
    }
}
