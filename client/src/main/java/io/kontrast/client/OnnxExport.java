package io.kontrast.client;

import io.kontrast.schemas.EncoderSnapshot;
import io.kontrast.schemas.Layer;
import io.kontrast.schemas.NamedTensor;
import io.kontrast.schemas.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot's backbone as an ONNX model (IR version 8, default opset 17), for ONNX Runtime,
 * TensorRT, OpenVINO or any other ONNX consumer.
 *
 * <p>The model takes {@code pixels}, float {@code [batch, C, H, W]} scaled to 0..1 (the
 * snapshot's {@code input_shape} with a batch axis in front), normalises it with the snapshot's
 * {@code input_mean} and {@code input_std}, and returns {@code embedding}, float {@code [batch,
 * embedding_dim]}: the same numbers as {@link Encoder#embed(float[])} on the same pixels. The
 * model's metadata carries {@code kontrast.model_id}, {@code kontrast.version}, {@code
 * kontrast.input_mean}, {@code kontrast.input_std} and {@code kontrast.embedding_dim}.
 *
 * <p>Operators: {@code conv2d} and {@code conv1d} are {@code Conv} (a sequence input {@code [T,
 * F]} is transposed to {@code [F, T]} first), {@code linear} is {@code Gemm} (after a {@code
 * Flatten} when its input is an image), {@code max_pool2d} and {@code avg_pool2d} are {@code
 * MaxPool} and {@code AveragePool}, {@code global_avg_pool} is {@code GlobalAveragePool} then
 * {@code Flatten}, {@code batch_norm} (inference form) is {@code Mul} and {@code Add}, {@code
 * residual} is its body and its shortcut joined by {@code Add}, {@code gru} is {@code GRU} with
 * {@code linear_before_reset} (its gates reordered to z, r, h; the sequence transposed to {@code
 * [T, batch, F]} and the last state back, or with {@code output} {@code sequence} every step's
 * state, {@code Squeeze}d and transposed to {@code [H, T]}), {@code embedding} is {@code Cast} to int64 and {@code
 * Gather} (then transposed to {@code [D, T]}), {@code graph_conv} is the normalised adjacency
 * ({@code Slice}, {@code ReduceSum}, {@code Add}, {@code Div}) times the features ({@code MatMul})
 * times the weight, plus the bias, times the node mask, {@code graph_centre} is {@code Gather} of
 * node 0, {@code relu} is {@code Relu} and
 * {@code l2_normalize} is {@code ReduceL2}, {@code Max} with 1e-12 and {@code Div}.
 */
public final class OnnxExport {
    static final long IR_VERSION = 8;
    static final long OPSET = 17;
    public static final String INPUT = "pixels";
    public static final String OUTPUT = "embedding";

    // TensorProto.DataType.FLOAT and INT64
    private static final int FLOAT = 1;
    private static final int INT64 = 7;

    private final Map<String, Tensor> weights = new HashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Proto> initializers = new LinkedHashMap<>();
    private int counter;
    /** The normalised input, as it came (a graph's packed nodes, whose structure graph layers read). */
    private String graphInput;

    private OnnxExport(EncoderSnapshot s) {
        for (NamedTensor t : s.getWeights()) weights.put(t.getName(), t.getTensor());
    }

    /**
     * The ONNX model of {@code s}'s backbone, serialized. The snapshot is validated first, exactly
     * as {@link Encoder#fromSnapshot} does (checksum, shapes, attributes), and the same {@link
     * InvalidSnapshotException} says what is wrong.
     */
    public static byte[] toOnnx(EncoderSnapshot s) {
        Encoder.fromSnapshot(s);
        return new OnnxExport(s).model(s);
    }

    private byte[] model(EncoderSnapshot s) {
        int[] shape = s.getInputShape().stream().mapToInt(Integer::intValue).toArray();
        List<Layer> backbone = new ArrayList<>();
        for (Layer l : s.getLayers()) {
            if ("backbone".equals(l.getPart())) backbone.add(l);
        }
        String x = node("Sub", List.of(INPUT, constant("input_mean", new int[0], s.getInputMean())), new Proto[0]);
        x = node("Div", List.of(x, constant("input_std", new int[0], s.getInputStd())), new Proto[0]);
        graphInput = x;
        int[] layerShape = shape;
        if (shape.length == 2) {
            // A sequence [T, F] is taken channels first, [F, T], as Conv takes it.
            x = node("Transpose", List.of(x), new Proto[] {ints("perm", 0, 2, 1)});
            layerShape = new int[] {shape[1], shape[0]};
        }
        Value v = build(backbone, 0, backbone.size(), new Value(x, layerShape));
        if (v.shape.length != 1) v = flatten(v);
        if (!nodes.get(nodes.size() - 1).output.equals(v.name)) {
            throw new IllegalStateException("the last node does not write the embedding");
        }
        Proto graph = new Proto();
        for (int n = 0; n < nodes.size(); n++) {
            // The last node writes the graph's output.
            graph.message(1, nodes.get(n).proto(n == nodes.size() - 1 ? OUTPUT : nodes.get(n).output));
        }
        graph.string(2, "kontrast_backbone");
        for (Proto t : initializers.values()) graph.message(5, t);
        long[] inDims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) inDims[i] = shape[i];
        graph.message(11, valueInfo(INPUT, inDims));
        graph.message(12, valueInfo(OUTPUT, new long[] {s.getEmbeddingDim()}));

        Proto model = new Proto()
                .int64(1, IR_VERSION)
                .string(2, "kontrast")
                .string(3, java.util.Objects.requireNonNullElse(Encoder.class.getPackage().getImplementationVersion(), "dev"))
                .string(4, "io.kontrast")
                .int64(5, s.getVersion())
                .string(6, "Kontrast encoder " + s.getModelId() + " version " + s.getVersion()
                        + ": pixels [batch, C, H, W] in 0..1 -> embedding [batch, " + s.getEmbeddingDim() + "]")
                .message(7, graph)
                .message(8, new Proto().string(1, "").int64(2, OPSET));
        meta(model, "kontrast.model_id", s.getModelId().toString());
        meta(model, "kontrast.version", Long.toString(s.getVersion()));
        meta(model, "kontrast.input_mean", Float.toString(s.getInputMean()));
        meta(model, "kontrast.input_std", Float.toString(s.getInputStd()));
        meta(model, "kontrast.embedding_dim", Integer.toString(s.getEmbeddingDim()));
        return model.toByteArray();
    }

    /** A tensor name and its shape without the batch axis. */
    private record Value(String name, int[] shape) {
        int size() {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    private Value build(List<Layer> layers, int from, int to, Value v) {
        int i = from;
        while (i < to) {
            Layer l = layers.get(i++);
            String name = l.getName().toString();
            switch (l.getKind().toString()) {
                case "linear" -> {
                    if (v.shape.length != 1) v = flatten(v);
                    Tensor w = weights.get(name + ".weight");
                    String wn = initializer(name + ".weight", w);
                    String bn = initializer(name + ".bias", weights.get(name + ".bias"));
                    v = new Value(node("Gemm", List.of(v.name, wn, bn), new Proto[0]), new int[] {w.getShape().get(1)});
                }
                case "conv2d" -> {
                    int out = attribute(l, "out_channels");
                    int k = attribute(l, "kernel_size");
                    int stride = attribute(l, "stride");
                    int pad = attribute(l, "padding");
                    String wn = initializer(name + ".weight", weights.get(name + ".weight"));
                    String bn = initializer(name + ".bias", weights.get(name + ".bias"));
                    String y = node("Conv", List.of(v.name, wn, bn), new Proto[] {
                            ints("kernel_shape", k, k), ints("strides", stride, stride), ints("pads", pad, pad, pad, pad)});
                    v = new Value(y, new int[] {out, (v.shape[1] + 2 * pad - k) / stride + 1, (v.shape[2] + 2 * pad - k) / stride + 1});
                }
                case "conv1d" -> {
                    int out = attribute(l, "out_channels");
                    int k = attribute(l, "kernel_size");
                    int stride = attribute(l, "stride");
                    int pad = attribute(l, "padding");
                    String wn = initializer(name + ".weight", weights.get(name + ".weight"));
                    String bn = initializer(name + ".bias", weights.get(name + ".bias"));
                    String y = node("Conv", List.of(v.name, wn, bn), new Proto[] {
                            ints("kernel_shape", k), ints("strides", stride), ints("pads", pad, pad)});
                    v = new Value(y, new int[] {out, (v.shape[1] + 2 * pad - k) / stride + 1});
                }
                case "gru" -> {
                    int h = attribute(l, "hidden_size");
                    int f = v.shape[0];
                    // [batch, F, T] -> [T, batch, F]; GRU's Y_h [1, batch, H] -> [batch, H].
                    String seq = node("Transpose", List.of(v.name), new Proto[] {ints("perm", 2, 0, 1)});
                    float[] wih = floats(weights.get(name + ".weight_ih"));
                    float[] whh = floats(weights.get(name + ".weight_hh"));
                    float[] bih = floats(weights.get(name + ".bias_ih"));
                    float[] bhh = floats(weights.get(name + ".bias_hh"));
                    String w = initializer(name + ".W", new int[] {1, 3 * h, f}, gatesFirst(wih, f, h));
                    String r = initializer(name + ".R", new int[] {1, 3 * h, h}, gatesFirst(whh, h, h));
                    float[] b = new float[6 * h];
                    System.arraycopy(gatesFirst(bih, 1, h), 0, b, 0, 3 * h);
                    System.arraycopy(gatesFirst(bhh, 1, h), 0, b, 3 * h, 3 * h);
                    String bias = initializer(name + ".B", new int[] {1, 6 * h}, b);
                    CharSequence output = l.getAttributes().get("output");
                    Proto[] gruAttributes = {integer("hidden_size", h), integer("linear_before_reset", 1)};
                    if (output != null && output.toString().equals("sequence")) {
                        // Every step's state, Y [T, 1, batch, H] -> [T, batch, H] -> [batch, H, T].
                        String all = node("GRU", List.of(seq, w, r, bias), gruAttributes);
                        String steps = node("Squeeze", List.of(all, longs("axes", false, 1)), new Proto[0]);
                        v = new Value(node("Transpose", List.of(steps), new Proto[] {ints("perm", 1, 2, 0)}),
                                new int[] {h, v.shape[1]});
                    } else {
                        String last = node("GRU", List.of(seq, w, r, bias), gruAttributes, 1);
                        String batchFirst = node("Transpose", List.of(last), new Proto[] {ints("perm", 1, 0, 2)});
                        v = flatten(new Value(batchFirst, new int[] {1, h}));
                    }
                }
                case "embedding" -> {
                    int dim = attribute(l, "embedding_dim");
                    int steps = v.shape[0];
                    // [batch, T] ids (whole floats) -> int64 -> Gather rows [batch, T, D] -> [batch, D, T].
                    String ids = node("Cast", List.of(v.name), new Proto[] {integer("to", INT64)});
                    String table = initializer(name + ".weight", weights.get(name + ".weight"));
                    String rows = node("Gather", List.of(table, ids), new Proto[] {integer("axis", 0)});
                    v = new Value(node("Transpose", List.of(rows), new Proto[] {ints("perm", 0, 2, 1)}), new int[] {dim, steps});
                }
                case "graph_conv" -> {
                    int in = attribute(l, "in_features");
                    int out = attribute(l, "out_features");
                    int nodes = attribute(l, "nodes");
                    int f0 = attribute(l, "graph_features");
                    // The structure from the packed input [batch, N, F0 + N + 1]: Â = (A + I) / (deg + 1), the mask m.
                    String adjacency = slice(graphInput, f0, f0 + nodes, 2);
                    String mask = slice(graphInput, f0 + nodes, f0 + nodes + 1, 2);
                    String degree = node("ReduceSum", List.of(adjacency, longs("axes", false, 2)), new Proto[] {integer("keepdims", 1)});
                    String plusOne = node("Add", List.of(degree, constant(fresh("one"), new int[0], 1f)), new Proto[0]);
                    float[] eye = new float[nodes * nodes];
                    for (int d = 0; d < nodes; d++) eye[d * nodes + d] = 1;
                    String loops = node("Add", List.of(adjacency, initializer(fresh("eye"), new int[] {nodes, nodes}, eye)), new Proto[0]);
                    String aHat = node("Div", List.of(loops, plusOne), new Proto[0]);
                    // The features, nodes first: [batch, N, in].
                    String h = node("Transpose", List.of(slice(v.name, 0, in, 1)), new Proto[] {ints("perm", 0, 2, 1)});
                    String agg = node("MatMul", List.of(aHat, h), new Proto[0]);
                    String wn = initializer(name + ".weight", weights.get(name + ".weight"));
                    String bn = initializer(name + ".bias", weights.get(name + ".bias"));
                    String y = node("Add", List.of(node("MatMul", List.of(agg, wn), new Proto[0]), bn), new Proto[0]);
                    String masked = node("Mul", List.of(y, mask), new Proto[0]);
                    v = new Value(node("Transpose", List.of(masked), new Proto[] {ints("perm", 0, 2, 1)}), new int[] {out, nodes});
                }
                case "graph_centre" -> {
                    String centre = node("Gather", List.of(v.name, longs("centre", true, 0)), new Proto[] {integer("axis", 2)});
                    v = new Value(centre, new int[] {v.shape[0]});
                }
                case "max_pool2d", "avg_pool2d" -> {
                    int k = attribute(l, "kernel_size");
                    int stride = attribute(l, "stride");
                    String op = l.getKind().toString().equals("max_pool2d") ? "MaxPool" : "AveragePool";
                    String y = node(op, List.of(v.name), new Proto[] {ints("kernel_shape", k, k), ints("strides", stride, stride)});
                    v = new Value(y, new int[] {v.shape[0], (v.shape[1] - k) / stride + 1, (v.shape[2] - k) / stride + 1});
                }
                case "global_avg_pool" -> {
                    String y = node("GlobalAveragePool", List.of(v.name), new Proto[0]);
                    v = flatten(new Value(y, new int[] {v.shape[0], 1, 1}));
                }
                case "batch_norm" -> {
                    int[] perChannel = new int[v.shape.length];
                    java.util.Arrays.fill(perChannel, 1);
                    perChannel[0] = v.shape[0];
                    String scale = initializer(name + ".weight", weights.get(name + ".weight"), perChannel);
                    String shift = initializer(name + ".bias", weights.get(name + ".bias"), perChannel);
                    String y = node("Mul", List.of(v.name, scale), new Proto[0]);
                    v = new Value(node("Add", List.of(y, shift), new Proto[0]), v.shape);
                }
                case "residual" -> {
                    int body = attribute(l, "body");
                    int shortcut = attribute(l, "shortcut");
                    Value a = build(layers, i, i + body, v);
                    Value b = build(layers, i + body, i + body + shortcut, v);
                    v = new Value(node("Add", List.of(a.name, b.name), new Proto[0]), a.shape);
                    i += body + shortcut;
                }
                case "flatten" -> {
                    if (v.shape.length != 1) v = flatten(v);
                }
                case "relu" -> v = new Value(node("Relu", List.of(v.name), new Proto[0]), v.shape);
                case "l2_normalize" -> {
                    long[] axes = new long[v.shape.length];
                    for (int a = 0; a < axes.length; a++) axes[a] = a + 1;
                    String norm = node("ReduceL2", List.of(v.name), new Proto[] {ints("axes", axes), integer("keepdims", 1)});
                    String floor = node("Max", List.of(norm, constant(fresh("eps"), new int[0], 1e-12f)), new Proto[0]);
                    v = new Value(node("Div", List.of(v.name, floor), new Proto[0]), v.shape);
                }
                default -> throw new InvalidSnapshotException("unknown layer kind '" + l.getKind() + "' in " + name);
            }
        }
        return v;
    }

    private Value flatten(Value v) {
        return new Value(node("Flatten", List.of(v.name), new Proto[] {integer("axis", 1)}), new int[] {v.size()});
    }

    private String fresh(String prefix) {
        return prefix + "_" + counter++;
    }

    /** Appends a node; returns the name of its (single) output. */
    private String node(String op, List<String> inputs, Proto[] attributes) {
        return node(op, inputs, attributes, 0);
    }

    /** Appends a node whose one used output comes after {@code skipped} outputs left unnamed; returns its name. */
    private String node(String op, List<String> inputs, Proto[] attributes, int skipped) {
        String out = fresh(op.toLowerCase());
        nodes.add(new Node(op, inputs, out, attributes, skipped));
        return out;
    }

    private record Node(String op, List<String> inputs, String output, Proto[] attributes, int skipped) {
        /** NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5. */
        Proto proto(String outputName) {
            Proto n = new Proto();
            for (String in : inputs) n.string(1, in);
            for (int i = 0; i < skipped; i++) n.string(2, "");
            n.string(2, outputName).string(3, output + "_node").string(4, op);
            for (Proto a : attributes) n.message(5, a);
            return n;
        }
    }

    private static Proto ints(String name, long... values) {
        // AttributeProto: name = 1, ints = 8, type = 20 (INTS = 7)
        return new Proto().string(1, name).int64s(8, values).int64(20, 7);
    }

    private static Proto integer(String name, long value) {
        // AttributeProto: name = 1, i = 3, type = 20 (INT = 2)
        return new Proto().string(1, name).int64(3, value).int64(20, 2);
    }

    private String initializer(String name, Tensor t) {
        return initializer(name, t, t.getShape().stream().mapToInt(Integer::intValue).toArray());
    }

    /** A float32 weight (raw little-endian bytes, as the snapshot stores them) under {@code dims}. */
    private String initializer(String name, Tensor t, int[] dims) {
        ByteBuffer data = t.getData().duplicate();
        byte[] raw = new byte[data.remaining()];
        data.get(raw);
        initializers.put(name, tensor(name, dims, raw));
        return name;
    }

    /** A float32 weight from values, row-major under {@code dims}. */
    private String initializer(String name, int[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) raw.putFloat(v);
        initializers.put(name, tensor(name, dims, raw.array()));
        return name;
    }

    private static float[] floats(Tensor t) {
        java.nio.FloatBuffer f = t.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] v = new float[f.remaining()];
        f.get(v);
        return v;
    }

    /**
     * A published GRU weight {@code [in, 3H]} (x W, gates r, z, n) as ONNX's {@code [3H, in]} (W
     * xᵀ, gates z, r, h); a bias is the case {@code in = 1}.
     */
    private static float[] gatesFirst(float[] w, int in, int h) {
        int[] from = {1, 0, 2};
        float[] out = new float[w.length];
        for (int g = 0; g < 3; g++) {
            for (int j = 0; j < h; j++) {
                for (int i = 0; i < in; i++) out[((g * h) + j) * in + i] = w[i * 3 * h + from[g] * h + j];
            }
        }
        return out;
    }

    private String constant(String name, int[] dims, float value) {
        byte[] raw = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array();
        initializers.put(name, tensor(name, dims, raw));
        return name;
    }

    private static Proto tensor(String name, int[] dims, byte[] raw) {
        return tensor(name, dims, raw, FLOAT);
    }

    private static Proto tensor(String name, int[] dims, byte[] raw, int type) {
        // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9
        Proto t = new Proto();
        for (int d : dims) t.int64(1, d);
        return t.int64(2, type).string(8, name).bytes(9, raw);
    }

    /** An int64 constant of {@code values} (a vector; a scalar when {@code scalar}). */
    private String longs(String prefix, boolean scalar, long... values) {
        String name = fresh(prefix);
        ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) raw.putLong(v);
        initializers.put(name, tensor(name, scalar ? new int[0] : new int[] {values.length}, raw.array(), INT64));
        return name;
    }

    /** {@code x[..., from:to]} along {@code axis}. */
    private String slice(String x, long from, long to, long axis) {
        return node("Slice", List.of(x, longs("starts", false, from), longs("ends", false, to), longs("axes", false, axis)),
                new Proto[0]);
    }

    /** A float tensor value with a symbolic batch axis in front of {@code dims}. */
    private static Proto valueInfo(String name, long[] dims) {
        // TensorShapeProto.Dimension: dim_value = 1, dim_param = 2
        Proto shape = new Proto().message(1, new Proto().string(2, "batch"));
        for (long d : dims) shape.message(1, new Proto().int64(1, d));
        // TypeProto.tensor_type = 1 -> Tensor: elem_type = 1, shape = 2; ValueInfoProto: name = 1, type = 2
        Proto type = new Proto().message(1, new Proto().int64(1, FLOAT).message(2, shape));
        return new Proto().string(1, name).message(2, type);
    }

    private static void meta(Proto model, String key, String value) {
        model.message(14, new Proto().string(1, key).string(2, value));
    }

    private static int attribute(Layer l, String name) {
        return Integer.parseInt(l.getAttributes().get(name).toString());
    }
}
