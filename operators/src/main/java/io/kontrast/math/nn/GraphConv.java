package io.kontrast.math.nn;

import io.kontrast.math.Sgemm;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code graph_conv}: a graph convolution (GCN-style, the mean over each node's neighbourhood
 * with a self loop) on a graph sample of up to {@code N} nodes. The network's input is the packed
 * graph, node after node ({@code N × (F + N + 1)}: a node's {@code F} features, its adjacency row
 * and 1 where it exists, 0 for absent nodes), and every graph layer reads the adjacency and the
 * node mask from it. Node {@code i}'s output is {@code m_i · (Σ_j Â_ij x_j W + b)} with {@code Â_ij
 * = (A_ij + [i = j]) / (deg_i + 1)}: absent nodes give 0. Its input is the packed graph itself
 * when it comes first (its features are read), else the previous layer's {@code N} nodes of
 * features; its output is {@code N} nodes of {@code out} features ({@code out×1×N}). Weight {@code
 * [F, out]} and bias {@code [out]}, initialised as {@code linear}'s. The structure carries no
 * gradient.
 */
final class GraphConv extends Layer {
    private final int nodes;
    /** Features per node of this layer's input. */
    private final int features;
    /** Values per node of the packed graph (the network's input): features, adjacency, mask. */
    private final int packed;
    private final int graphFeatures;
    /** Whether the input is the packed graph (this is the first layer). */
    private final boolean first;

    GraphConv(String name, Shape in, Shape graph, int out) {
        super(name, in, checked(name, in, graph, out));
        this.nodes = graph.steps();
        this.packed = graph.channels();
        this.graphFeatures = packed - nodes - 1;
        this.first = in.equals(graph);
        this.features = first ? graphFeatures : in.channels();
    }

    /** Checks that the network's input is a packed graph of at least one feature per node. */
    static int graphNodes(String name, String kind, Shape graph) {
        int n = graph.steps();
        if (graph.height() != 1 || graph.channels() < n + 2) {
            throw new IllegalArgumentException("layer " + name + " (" + kind + "): needs a graph input (N nodes of F "
                    + "features, packed as N x (F + N + 1)), got " + graph);
        }
        return n;
    }

    private static Shape checked(String name, Shape in, Shape graph, int out) {
        int n = graphNodes(name, "graph_conv", graph);
        if (in.height() != 1 || in.steps() != n) {
            throw new IllegalArgumentException("layer " + name + " (graph_conv): needs the graph's " + n + " nodes, got " + in);
        }
        if (out < 1) {
            throw new IllegalArgumentException("layer " + name + " (graph_conv): needs out_features >= 1, got " + out);
        }
        return Shape.sequence(n, out);
    }

    @Override
    String kind() {
        return "graph_conv";
    }

    @Override
    List<Tensor> tensors() {
        return List.of(new Tensor("weight", features, out.channels()), new Tensor("bias", out.channels()));
    }

    @Override
    void init(double[] params, double[] stats, SplittableRandom rnd) {
        uniform(params, rnd, paramOffset, paramOffset + paramCount(), features);
    }

    /** The aggregate {@code [B·N, F]}, the masked output gradient {@code [B·N, out]}, a ones row {@code [B·N]}. */
    @Override
    long[] scratch(int batch, int groups, boolean inputGrad, boolean inputWritable) {
        long rows = (long) batch * nodes;
        return new long[] {rows * features, rows * out.channels(), rows};
    }

    @Override
    Object bind(Node n, int groups) {
        long rows = (long) n.in.batch * nodes;
        n.scratch[0] = n.scratch[0].reshape('c', rows, features);
        n.scratch[1] = n.scratch[1].reshape('c', rows, out.channels());
        n.scratch[2] = n.scratch[2].reshape('c', 1, rows).assign(1);
        return null;
    }

    @Override
    void forward(Node n, Pass pass) {
        INDArray[] p = pass.p(this);
        Mem g = Mem.of(n.networkInput.flat);
        Mem x = Mem.of(n.in.flat);
        Mem agg = Mem.of(n.scratch[0]);
        int stride = first ? packed : features;
        for (int b = 0; b < n.in.batch; b++) {
            int graph = b * nodes * packed;
            for (int i = 0; i < nodes; i++) {
                int row = graph + i * packed;
                int to = (b * nodes + i) * features;
                agg.zero(to, to + features);
                if (g.get(row + graphFeatures + nodes) == 0) continue;
                double degree = 1;
                for (int j = 0; j < nodes; j++) degree += g.get(row + graphFeatures + j);
                double w = 1 / degree;
                for (int j = 0; j < nodes; j++) {
                    double a = j == i ? w : g.get(row + graphFeatures + j) * w;
                    if (a == 0) continue;
                    int from = (b * nodes + j) * stride;
                    for (int f = 0; f < features; f++) agg.add(to + f, a * x.get(from + f));
                }
            }
        }
        Sgemm.gemm(n.scratch[0], p[0], n.out.rows, false, false, 1.0, 0.0);
        n.out.rows.addiRowVector(p[1]);
        Mem y = Mem.of(n.out.flat);
        int o = out.channels();
        for (int b = 0; b < n.in.batch; b++) {
            for (int i = 0; i < nodes; i++) {
                if (g.get((b * nodes + i) * packed + graphFeatures + nodes) == 0) y.zero((b * nodes + i) * o, (b * nodes + i + 1) * o);
            }
        }
    }

    @Override
    void backward(Node n, Pass pass) {
        INDArray[] p = pass.p(this);
        INDArray[] gr = pass.g(this);
        Mem g = Mem.of(n.networkInput.flat);
        INDArray dyMasked = n.scratch[1].assign(n.dOut.rows);
        Mem dy = Mem.of(dyMasked);
        int o = out.channels();
        for (int b = 0; b < n.in.batch; b++) {
            for (int i = 0; i < nodes; i++) {
                if (g.get((b * nodes + i) * packed + graphFeatures + nodes) == 0) dy.zero((b * nodes + i) * o, (b * nodes + i + 1) * o);
            }
        }
        Sgemm.gemm(n.scratch[0], dyMasked, gr[0], true, false, 1.0, 0.0);
        Sgemm.gemm(n.scratch[2], dyMasked, gr[1].reshape('c', 1, o), false, false, 1.0, 0.0);
        if (n.dIn == null) return;
        // dAgg = dY Wᵀ into the aggregate's scratch (no longer needed), then dx_j = Σ_i Â_ij dAgg_i.
        Sgemm.gemm(dyMasked, p[0], n.scratch[0], false, true, 1.0, 0.0);
        Mem dAgg = Mem.of(n.scratch[0]);
        Mem dx = Mem.of(n.dIn.flat);
        int stride = first ? packed : features;
        n.dIn.flat.assign(0);
        for (int b = 0; b < n.in.batch; b++) {
            int graph = b * nodes * packed;
            for (int i = 0; i < nodes; i++) {
                int row = graph + i * packed;
                if (g.get(row + graphFeatures + nodes) == 0) continue;
                double degree = 1;
                for (int j = 0; j < nodes; j++) degree += g.get(row + graphFeatures + j);
                double w = 1 / degree;
                int from = (b * nodes + i) * features;
                for (int j = 0; j < nodes; j++) {
                    double a = j == i ? w : g.get(row + graphFeatures + j) * w;
                    if (a == 0) continue;
                    int to = (b * nodes + j) * stride;
                    for (int f = 0; f < features; f++) dx.add(to + f, a * dAgg.get(from + f));
                }
            }
        }
    }

    @Override
    double flops() {
        return 2.0 * nodes * nodes * features + 2.0 * nodes * features * out.channels();
    }

    @Override
    Map<String, String> attributes() {
        return Map.of("in_features", Integer.toString(features), "out_features", Integer.toString(out.channels()),
                "nodes", Integer.toString(nodes), "graph_features", Integer.toString(graphFeatures));
    }
}
