package io.kontrast.jobs;

import io.kontrast.client.Encoder;
import io.kontrast.client.InvalidSnapshotException;
import io.kontrast.data.LabeledImages;
import io.kontrast.schemas.EncoderSnapshot;
import io.kontrast.schemas.Layer;
import io.kontrast.schemas.NamedTensor;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Backbone features of a whole image set with a snapshot, batched on ND4J (same layers as the Java client). */
public final class SnapshotFeatures {
    private SnapshotFeatures() {}

    /** Pixels of a set as a {@code [n, h*w]} matrix in 0..1; a token set's ids as they are; a graph set's packed values. */
    public static INDArray pixels(LabeledImages set) {
        int n = set.size();
        int d = set.pixelsPerImage();
        float[] f = new float[n * d];
        byte[] p = set.pixels();
        if (set.isGraphs()) {
            for (int i = 0; i < n; i++) System.arraycopy(set.image(i), 0, f, i * d, d);
            return Nd4j.createFromArray(f).reshape(n, d);
        }
        boolean ids = set.isTokens();
        for (int i = 0; i < f.length; i++) f[i] = ids ? p[i] & 0xFF : (p[i] & 0xFF) / 255f;
        return Nd4j.createFromArray(f).reshape(n, d);
    }

    /**
     * The raw features of a set for the probes: its pixels, for a token set each position's id
     * one-hot ({@code [n, T·V]}: ids are names, not quantities), for a graph set the centre node's
     * own features.
     */
    public static INDArray raw(LabeledImages set) {
        if (set.isGraphs()) {
            // A node's own features: the first of the packed centre's values.
            int f = io.kontrast.data.SbmGraphs.FEATURES;
            return pixels(set).get(NDArrayIndex.all(), NDArrayIndex.interval(0, f)).dup('c');
        }
        if (!set.isTokens()) return pixels(set);
        int n = set.size();
        int t = set.pixelsPerImage();
        int v = set.vocab();
        INDArray out = Nd4j.create(DataType.FLOAT, n, (long) t * v);
        byte[] p = set.pixels();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < t; j++) out.putScalar(i, (long) j * v + (p[i * t + j] & 0xFF), 1f);
        }
        return out;
    }

    /**
     * A graph set's centre node after {@code 0..hops} rounds of neighbourhood means, with no
     * weights: {@code [x, Âx, …, Â^hops x]} at the centre ({@code [n, (hops + 1) · F]}), with
     * {@code Â} the {@code graph_conv}'s propagation (a self loop, the mean over the neighbourhood,
     * absent nodes left out). What a linear probe reaches on them is what linear functions of the
     * neighbourhood that a {@code hops}-layer {@code gcn} sees can tell (SGC's features).
     */
    public static INDArray propagated(LabeledImages set, int hops) {
        if (!set.isGraphs()) {
            throw new IllegalArgumentException("propagated features need graph samples, not " + set.name());
        }
        int n = set.size();
        int nodes = io.kontrast.data.SbmGraphs.MAX_NODES;
        int f = io.kontrast.data.SbmGraphs.FEATURES;
        int row = io.kontrast.data.SbmGraphs.ROW;
        float[] out = new float[n * (hops + 1) * f];
        double[] x = new double[nodes * f];
        double[] next = new double[nodes * f];
        for (int i = 0; i < n; i++) {
            float[] g = set.image(i);
            for (int v = 0; v < nodes; v++) {
                for (int c = 0; c < f; c++) x[v * f + c] = g[v * row + c];
            }
            for (int h = 0; ; h++) {
                // The centre is the first node.
                for (int c = 0; c < f; c++) out[(i * (hops + 1) + h) * f + c] = (float) x[c];
                if (h == hops) break;
                for (int v = 0; v < nodes; v++) {
                    boolean present = g[v * row + f + nodes] > 0;
                    int degree = 0;
                    for (int c = 0; c < f; c++) next[v * f + c] = present ? x[v * f + c] : 0;
                    if (present) {
                        for (int u = 0; u < nodes; u++) {
                            if (u == v || g[v * row + f + u] <= 0 || g[u * row + f + nodes] <= 0) continue;
                            degree++;
                            for (int c = 0; c < f; c++) next[v * f + c] += x[u * f + c];
                        }
                        for (int c = 0; c < f; c++) next[v * f + c] /= degree + 1;
                    }
                }
                System.arraycopy(next, 0, x, 0, x.length);
            }
        }
        return Nd4j.createFromArray(out).reshape(n, (long) (hops + 1) * f);
    }

    private static int attribute(Layer l, String name) {
        return Integer.parseInt(l.getAttributes().get(name).toString());
    }

    public static INDArray extract(EncoderSnapshot s, LabeledImages set) {
        Encoder.fromSnapshot(s); // validates structure and checksum
        Map<String, INDArray> w = new HashMap<>();
        for (NamedTensor t : s.getWeights()) {
            int[] shape = t.getTensor().getShape().stream().mapToInt(Integer::intValue).toArray();
            float[] v = new float[t.getTensor().getData().remaining() / 4];
            t.getTensor().getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            long[] ls = new long[shape.length];
            for (int i = 0; i < shape.length; i++) ls[i] = shape[i];
            w.put(t.getName(), Nd4j.createFromArray(v).reshape(ls));
        }
        INDArray all = pixels(set).subi(s.getInputMean()).divi(s.getInputStd());
        if (set.channels() > 1 && set.isImages()) {
            // The set's interleaved (h, w, c) pixels to the [C, H, W] order snapshots take.
            all = all.reshape('c', set.size(), set.height(), set.width(), set.channels()).permute(0, 3, 1, 2).dup('c')
                    .reshape('c', set.size(), set.pixelsPerImage());
        }
        List<Layer> backbone = new ArrayList<>();
        for (Layer l : s.getLayers()) {
            if ("backbone".equals(l.getPart())) backbone.add(l);
        }
        int n = all.rows();
        INDArray out = null;
        int chunk = 512; // conv activations of a chunk stay in cache-friendly sizes (4096 made 400 MB arrays)
        out = Nd4j.create(DataType.FLOAT, n, s.getEmbeddingDim());
        // Each chunk's intermediate arrays live in a workspace that the next chunk reuses: left
        // to the garbage collector, the native memory of a large colour set's activations piled
        // up faster than the heap's small array objects were collected (tens of GB for CIFAR-10).
        WorkspaceConfiguration scratch = WorkspaceConfiguration.builder()
                .policyAllocation(AllocationPolicy.OVERALLOCATE).policyLearning(LearningPolicy.FIRST_LOOP).build();
        for (int start = 0; start < n; start += chunk) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(scratch, "kontrast-features")) {
                INDArray x = all.get(NDArrayIndex.interval(start, Math.min(n, start + chunk)), NDArrayIndex.all());
                long[] shape = new long[s.getInputShape().size() + 1];
                shape[0] = x.rows();
                for (int i = 0; i < s.getInputShape().size(); i++) shape[i + 1] = s.getInputShape().get(i);
                x = x.reshape('c', shape);
                // A graph's packed input, node after node: its layers read the structure from it.
                INDArray graph = shape.length == 3 ? x.dup('c') : null;
                if (shape.length == 3) {
                    // A sequence [T, F] is taken channels first, as [F, 1, T].
                    x = x.permute(0, 2, 1).dup('c').reshape('c', shape[0], shape[2], 1, shape[1]);
                }
                x = apply(backbone, 0, backbone.size(), x, w, graph);
                x = x.reshape('c', x.size(0), -1);
                out.get(NDArrayIndex.interval(start, Math.min(n, start + chunk)), NDArrayIndex.all()).assign(x);
            }
        }
        return out;
    }

    /**
     * A graph convolution on {@code x} ({@code [n, C, 1, N]}, channels first; the packed graph
     * itself when it is the first layer) with the structure of {@code graph} ({@code [n, N, F0 + N +
     * 1]}): node {@code i} gets {@code m_i (Σ_j Â_ij x_j W + b)}, {@code Â_ij = (A_ij + [i = j]) /
     * (deg_i + 1)}. Returns {@code [n, out, 1, N]}.
     */
    static INDArray graphConv(INDArray x, INDArray graph, INDArray weight, INDArray bias, int graphFeatures) {
        int n = (int) graph.size(0);
        int nodes = (int) graph.size(1);
        int packed = (int) graph.size(2);
        int f = (int) weight.size(0);
        int o = (int) weight.size(1);
        int channels = (int) x.size(1);
        float[] g = graph.dup('c').reshape(-1).toFloatVector();
        float[] xs = x.dup('c').reshape(-1).toFloatVector();
        float[] agg = new float[n * nodes * f];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < nodes; i++) {
                int row = (b * nodes + i) * packed;
                if (g[row + graphFeatures + nodes] == 0) continue;
                float degree = 1;
                for (int j = 0; j < nodes; j++) degree += g[row + graphFeatures + j];
                for (int j = 0; j < nodes; j++) {
                    float a = (j == i ? 1 : g[row + graphFeatures + j]) / degree;
                    if (a == 0) continue;
                    for (int c = 0; c < f; c++) {
                        // Feature c of node j, channels first: [C, 1, N].
                        agg[(b * nodes + i) * f + c] += a * xs[(b * channels + c) * nodes + j];
                    }
                }
            }
        }
        INDArray y = Nd4j.createFromArray(agg).reshape('c', (long) n * nodes, f).mmul(weight).addiRowVector(bias);
        float[] ys = y.dup('c').reshape(-1).toFloatVector();
        float[] out = new float[n * o * nodes];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < nodes; i++) {
                if (g[(b * nodes + i) * packed + graphFeatures + nodes] == 0) continue;
                for (int c = 0; c < o; c++) out[(b * o + c) * nodes + i] = ys[(b * nodes + i) * o + c];
            }
        }
        return Nd4j.createFromArray(out).reshape('c', n, o, 1, nodes);
    }

    /** Layers {@code [from, to)} on an NCHW (or [n, features]) batch; a residual entry takes the entries after it. */
    private static INDArray apply(List<Layer> layers, int from, int to, INDArray x, Map<String, INDArray> w, INDArray graph) {
        int i = from;
        while (i < to) {
            Layer l = layers.get(i++);
            switch (l.getKind()) {
                case "linear" -> x = x.reshape('c', x.size(0), -1).mmul(w.get(l.getName() + ".weight"))
                        .addiRowVector(w.get(l.getName() + ".bias"));
                case "conv2d" -> {
                    INDArray weight = w.get(l.getName() + ".weight");
                    int k = attribute(l, "kernel_size");
                    int stride = attribute(l, "stride");
                    int pad = attribute(l, "padding");
                    long oh = (x.size(2) + 2L * pad - k) / stride + 1;
                    long ow = (x.size(3) + 2L * pad - k) / stride + 1;
                    INDArray y = Nd4j.create(DataType.FLOAT, x.size(0), weight.size(0), oh, ow);
                    // NCHW input, weights [out, in, kH, kW] (libnd4j weight format 1).
                    Nd4j.exec(DynamicCustomOp.builder("conv2d")
                            .addInputs(x.dup('c'), weight, w.get(l.getName() + ".bias"))
                            .addOutputs(y)
                            .addIntegerArguments(k, k, stride, stride, pad, pad, 1, 1, 0, 0, 1)
                            .build());
                    x = y;
                }
                case "conv1d" -> {
                    INDArray weight = w.get(l.getName() + ".weight");
                    int k = attribute(l, "kernel_size");
                    int stride = attribute(l, "stride");
                    int pad = attribute(l, "padding");
                    long ol = (x.size(3) + 2L * pad - k) / stride + 1;
                    INDArray y = Nd4j.create(DataType.FLOAT, x.size(0), weight.size(0), 1, ol);
                    Nd4j.exec(DynamicCustomOp.builder("conv2d")
                            .addInputs(x.dup('c'), weight.reshape('c', weight.size(0), weight.size(1), 1, k), w.get(l.getName() + ".bias"))
                            .addOutputs(y)
                            .addIntegerArguments(1, k, 1, stride, 0, pad, 1, 1, 0, 0, 1)
                            .build());
                    x = y;
                }
                case "gru" -> {
                    int h = attribute(l, "hidden_size");
                    int n = (int) x.size(0);
                    int f = (int) x.size(1);
                    int steps = (int) x.size(3);
                    // [n, F, 1, T] -> rows (sample, step) of F features, the kernel's layout.
                    INDArray rows = x.reshape('c', n, f, steps).permute(0, 2, 1).dup('c').reshape('c', (long) n * steps, f);
                    CharSequence output = l.getAttributes().get("output");
                    boolean everyStep = output != null && output.toString().equals("sequence");
                    INDArray y = Nd4j.create(DataType.FLOAT, n, everyStep ? (long) steps * h : h);
                    io.kontrast.math.nn.GruKernel.allocate(n, steps, f, h, everyStep, DataType.FLOAT).forward(rows,
                            w.get(l.getName() + ".weight_ih"), w.get(l.getName() + ".weight_hh"),
                            w.get(l.getName() + ".bias_ih"), w.get(l.getName() + ".bias_hh"), y);
                    // Every step's state [n, T·H] (step-major) back to channels first, [n, H, 1, T].
                    x = everyStep ? y.reshape('c', n, steps, h).permute(0, 2, 1).dup('c').reshape('c', n, h, 1, steps) : y;
                }
                case "embedding" -> {
                    // [n, T] ids -> the table's rows, channels first: [n, D, 1, T].
                    INDArray table = w.get(l.getName() + ".weight");
                    int n = (int) x.size(0);
                    int steps = (int) (x.length() / n);
                    int vocab = (int) table.size(0);
                    int dim = (int) table.size(1);
                    float[] ids = x.dup('c').reshape(-1).toFloatVector();
                    float[] rows = table.dup('c').reshape(-1).toFloatVector();
                    float[] y = new float[n * dim * steps];
                    for (int b = 0; b < n; b++) {
                        for (int t = 0; t < steps; t++) {
                            float v = ids[b * steps + t];
                            int id = (int) v;
                            if (id != v || id < 0 || id >= vocab) {
                                throw new IllegalArgumentException(l.getName() + ": token " + t + " is " + v + ", not an id in [0, " + vocab + ")");
                            }
                            for (int d = 0; d < dim; d++) y[(b * dim + d) * steps + t] = rows[id * dim + d];
                        }
                    }
                    x = Nd4j.createFromArray(y).reshape('c', n, dim, 1, steps);
                }
                case "graph_conv" -> x = graphConv(x, graph, w.get(l.getName() + ".weight"), w.get(l.getName() + ".bias"),
                        attribute(l, "graph_features"));
                case "graph_centre" -> x = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.point(0))
                        .dup('c').reshape('c', x.size(0), x.size(1));
                case "max_pool2d", "avg_pool2d" -> {
                    int k = attribute(l, "kernel_size");
                    int stride = attribute(l, "stride");
                    INDArray y = Nd4j.create(DataType.FLOAT, x.size(0), x.size(1),
                            (x.size(2) - k) / stride + 1, (x.size(3) - k) / stride + 1);
                    boolean max = l.getKind().equals("max_pool2d");
                    Nd4j.exec(DynamicCustomOp.builder(max ? "maxpool2d" : "avgpool2d")
                            .addInputs(x.dup('c'))
                            .addOutputs(y)
                            .addIntegerArguments(k, k, stride, stride, 0, 0, 1, 1, 0, max ? 0 : 1, 0)
                            .build());
                    x = y;
                }
                case "global_avg_pool" -> x = x.mean(2, 3);
                case "batch_norm" -> {
                    INDArray scale = w.get(l.getName() + ".weight");
                    INDArray shift = w.get(l.getName() + ".bias");
                    if (x.rank() == 4) {
                        x = x.mul(scale.reshape(1, -1, 1, 1)).addi(shift.reshape(1, -1, 1, 1));
                    } else {
                        x = x.mulRowVector(scale).addiRowVector(shift);
                    }
                }
                case "residual" -> {
                    int body = attribute(l, "body");
                    int shortcut = attribute(l, "shortcut");
                    INDArray b = apply(layers, i, i + body, x, w, graph);
                    INDArray sc = apply(layers, i + body, i + body + shortcut, x, w, graph);
                    x = b.add(sc);
                    i += body + shortcut;
                }
                case "flatten" -> x = x.reshape('c', x.size(0), -1);
                case "relu" -> x = Transforms.relu(x, true);
                case "l2_normalize" -> {
                    INDArray flat = x.reshape('c', x.size(0), -1);
                    x = flat.divColumnVector(Transforms.max(flat.norm2(1).reshape(flat.rows(), 1), 1e-12, false));
                }
                default -> throw new InvalidSnapshotException("unknown layer kind " + l.getKind());
            }
        }
        return x;
    }
}
