package io.kontrast.client;

import io.kontrast.schemas.DType;
import io.kontrast.schemas.EncoderSnapshot;
import io.kontrast.schemas.Layer;
import io.kontrast.schemas.NamedTensor;
import io.kontrast.schemas.Tensor;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable encoder rebuilt from an {@link EncoderSnapshot}: the backbone layers, applied in
 * plain Java exactly as {@code schemas/README.md} specifies, so any service can embed without
 * Flink or a native library. Thread-safe.
 *
 * <p>{@code embed(pixels)}: {@code x = (pixels - input_mean) / input_std}, shaped {@code
 * input_shape}, then each backbone layer in order: {@code linear} ({@code y = x W + b} on the
 * flattened input, W of shape {@code [in, out]}), {@code conv2d} (cross-correlation, NCHW,
 * weights {@code [out, in, k, k]}, zero padding), {@code conv1d} (the same along time, weights
 * {@code [out, in, k]}), {@code max_pool2d}, {@code avg_pool2d}, {@code
 * global_avg_pool}, {@code gru} (on a sequence, to its last hidden state, or with {@code output}
 * {@code sequence} to every step's, {@code [H, 1, T]}: gates r, z, n, {@code
 * x W_ih + b_ih}, W_ih {@code [F, 3H]}, and {@code h W_hh + b_hh}, {@code n = tanh(x_n + r ⊙ h_n)},
 * {@code h' = (1 − z) ⊙ n + z ⊙ h} from 0), {@code batch_norm} (per channel {@code x · weight + bias}), {@code residual}
 * (its body plus its shortcut, given by the entries that follow it), {@code flatten} ((c, h, w)
 * order), {@code relu} ({@code max(0, x)}), {@code l2_normalize} ({@code x / max(|x|, 1e-12)}).
 * A sequence input ({@code input_shape} {@code [T, F]}) is taken channels first, {@code [F, T]},
 * as PyTorch's {@code Conv1d} takes it: the layers see it as {@code [F, 1, T]}. {@code embedding}
 * (first, on {@code T} token ids given as whole numbers; {@code weight} {@code [num_embeddings,
 * embedding_dim]}) gives such a sequence, {@code [D, 1, T]}; {@link #embedTokens} takes the ids
 * as ints.
 */
public final class Encoder {
    private final String modelId;
    private final long version;
    private final int inputSize;
    private final int outputSize;
    private final float mean;
    private final float invStd;
    private final List<Op> ops;
    /** Whether a layer reads the packed graph (then the input is kept aside for it). */
    private final boolean graph;

    private interface Op {
        float[] apply(float[] x);
    }

    /** The packed graph of the sample being embedded, node after node (graph layers read its structure). */
    private static final ThreadLocal<float[]> GRAPH = new ThreadLocal<>();

    private Encoder(String modelId, long version, int inputSize, int outputSize, float mean, float std, List<Op> ops,
            boolean graph) {
        this.modelId = modelId;
        this.version = version;
        this.inputSize = inputSize;
        this.outputSize = outputSize;
        this.mean = mean;
        this.invStd = 1f / std;
        this.ops = ops;
        this.graph = graph;
    }

    /** Rebuilds the backbone; throws {@link InvalidSnapshotException} saying what is wrong. */
    public static Encoder fromSnapshot(EncoderSnapshot s) {
        if (!Checksums.verify(s)) {
            throw new InvalidSnapshotException("checksum mismatch: " + s.getChecksum());
        }
        if (!(s.getInputStd() > 0)) {
            throw new InvalidSnapshotException("input_std must be > 0, is " + s.getInputStd());
        }
        Map<String, Tensor> weights = new HashMap<>();
        for (NamedTensor t : s.getWeights()) {
            weights.put(t.getName(), t.getTensor());
        }
        int[] shape = s.getInputShape().stream().mapToInt(Integer::intValue).toArray();
        int inputSize = 1;
        for (int d : shape) inputSize *= d;
        List<Layer> backbone = new ArrayList<>();
        for (Layer l : s.getLayers()) {
            if ("backbone".equals(l.getPart())) backbone.add(l);
        }
        if (backbone.isEmpty()) {
            throw new InvalidSnapshotException("snapshot has no backbone layers");
        }
        List<Op> ops = new ArrayList<>();
        if (shape.length == 2) {
            // A sequence [T, F], step after step, to channels first [F, T].
            int t = shape[0];
            int f = shape[1];
            ops.add(x -> {
                float[] y = new float[x.length];
                for (int step = 0; step < t; step++) {
                    for (int j = 0; j < f; j++) y[j * t + step] = x[step * f + j];
                }
                return y;
            });
            shape = new int[] {f, 1, t};
        }
        shape = build(backbone, 0, backbone.size(), shape, weights, ops);
        int size = size(shape);
        if (size != s.getEmbeddingDim()) {
            throw new InvalidSnapshotException("backbone ends at " + size + " values, embedding_dim says " + s.getEmbeddingDim());
        }
        boolean graph = s.getLayers().stream().anyMatch(l -> "graph_conv".contentEquals(l.getKind()));
        return new Encoder(s.getModelId(), s.getVersion(), inputSize, size, s.getInputMean(), s.getInputStd(), List.copyOf(ops),
                graph);
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /**
     * Appends the ops of layers {@code [from, to)} to {@code ops}; returns the output shape. A
     * {@code residual} entry is followed by its body's and its shortcut's entries.
     */
    private static int[] build(List<Layer> layers, int from, int to, int[] shape, Map<String, Tensor> weights, List<Op> ops) {
        int i = from;
        while (i < to) {
            Layer l = layers.get(i++);
            int size = size(shape);
            switch (l.getKind()) {
                case "linear" -> {
                    Tensor w = require(weights, l.getName() + ".weight");
                    Tensor b = require(weights, l.getName() + ".bias");
                    if (w.getShape().size() != 2 || w.getShape().get(0) != size) {
                        throw new InvalidSnapshotException(l.getName() + ".weight has shape " + w.getShape()
                                + ", expected [" + size + ", out]");
                    }
                    int out = w.getShape().get(1);
                    if (b.getShape().size() != 1 || b.getShape().get(0) != out) {
                        throw new InvalidSnapshotException(l.getName() + ".bias has shape " + b.getShape() + ", expected [" + out + "]");
                    }
                    ops.add(linear(floats(w, l.getName() + ".weight"), floats(b, l.getName() + ".bias"), size, out));
                    shape = new int[] {out};
                }
                case "conv2d" -> {
                    requireImage(l, shape);
                    int in = attribute(l, "in_channels");
                    int out = attribute(l, "out_channels");
                    int k = attribute(l, "kernel_size");
                    int stride = attribute(l, "stride");
                    int pad = attribute(l, "padding");
                    if (in != shape[0] || k < 1 || stride < 1 || pad < 0) {
                        throw new InvalidSnapshotException(l.getName() + ": in_channels " + in + ", kernel_size " + k + ", stride "
                                + stride + ", padding " + pad + " do not fit an input of " + java.util.Arrays.toString(shape));
                    }
                    Tensor w = require(weights, l.getName() + ".weight");
                    Tensor b = require(weights, l.getName() + ".bias");
                    if (!w.getShape().equals(List.of(out, in, k, k)) || !b.getShape().equals(List.of(out))) {
                        throw new InvalidSnapshotException(l.getName() + " weights have shapes " + w.getShape() + " and " + b.getShape()
                                + ", expected [" + out + ", " + in + ", " + k + ", " + k + "] and [" + out + "]");
                    }
                    int oh = (shape[1] + 2 * pad - k) / stride + 1;
                    int ow = (shape[2] + 2 * pad - k) / stride + 1;
                    if (oh < 1 || ow < 1) throw new InvalidSnapshotException(l.getName() + ": output would be empty");
                    ops.add(conv2d(floats(w, l.getName() + ".weight"), floats(b, l.getName() + ".bias"), shape, out, k, stride, pad, oh, ow));
                    shape = new int[] {out, oh, ow};
                }
                case "conv1d" -> {
                    requireImage(l, shape);
                    int in = attribute(l, "in_channels");
                    int out = attribute(l, "out_channels");
                    int k = attribute(l, "kernel_size");
                    int stride = attribute(l, "stride");
                    int pad = attribute(l, "padding");
                    if (shape[1] != 1 || in != shape[0] || k < 1 || stride < 1 || pad < 0) {
                        throw new InvalidSnapshotException(l.getName() + ": in_channels " + in + ", kernel_size " + k + ", stride "
                                + stride + ", padding " + pad + " do not fit a sequence input of " + java.util.Arrays.toString(shape));
                    }
                    Tensor w = require(weights, l.getName() + ".weight");
                    Tensor b = require(weights, l.getName() + ".bias");
                    if (!w.getShape().equals(List.of(out, in, k)) || !b.getShape().equals(List.of(out))) {
                        throw new InvalidSnapshotException(l.getName() + " weights have shapes " + w.getShape() + " and " + b.getShape()
                                + ", expected [" + out + ", " + in + ", " + k + "] and [" + out + "]");
                    }
                    int ol = (shape[2] + 2 * pad - k) / stride + 1;
                    if (ol < 1) throw new InvalidSnapshotException(l.getName() + ": output would be empty");
                    ops.add(conv1d(floats(w, l.getName() + ".weight"), floats(b, l.getName() + ".bias"), in, shape[2], out, k, stride,
                            pad, ol));
                    shape = new int[] {out, 1, ol};
                }
                case "gru" -> {
                    requireImage(l, shape);
                    int in = attribute(l, "input_size");
                    int h = attribute(l, "hidden_size");
                    CharSequence output = l.getAttributes().get("output");
                    boolean everyStep = output != null && output.toString().equals("sequence");
                    if (shape[1] != 1 || in != shape[0] || h < 1 || output != null && !everyStep && !output.toString().equals("last")) {
                        throw new InvalidSnapshotException(l.getName() + ": input_size " + in + ", hidden_size " + h + ", output "
                                + output + " do not fit a sequence input of " + java.util.Arrays.toString(shape));
                    }
                    float[][] p = new float[4][];
                    String[] names = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
                    List<List<Integer>> shapes = List.of(List.of(in, 3 * h), List.of(h, 3 * h), List.of(3 * h), List.of(3 * h));
                    for (int t = 0; t < 4; t++) {
                        Tensor w = require(weights, l.getName() + "." + names[t]);
                        if (!w.getShape().equals(shapes.get(t))) {
                            throw new InvalidSnapshotException(l.getName() + "." + names[t] + " has shape " + w.getShape()
                                    + ", expected " + shapes.get(t));
                        }
                        p[t] = floats(w, l.getName() + "." + names[t]);
                    }
                    ops.add(gru(p[0], p[1], p[2], p[3], in, shape[2], h, everyStep));
                    shape = everyStep ? new int[] {h, 1, shape[2]} : new int[] {h};
                }
                case "embedding" -> {
                    int vocab = attribute(l, "num_embeddings");
                    int dim = attribute(l, "embedding_dim");
                    if (shape.length != 1 || vocab < 1 || dim < 1) {
                        throw new InvalidSnapshotException(l.getName() + ": num_embeddings " + vocab + ", embedding_dim " + dim
                                + " do not fit an input of " + java.util.Arrays.toString(shape) + " (token ids [T])");
                    }
                    Tensor w = require(weights, l.getName() + ".weight");
                    if (!w.getShape().equals(List.of(vocab, dim))) {
                        throw new InvalidSnapshotException(l.getName() + ".weight has shape " + w.getShape() + ", expected ["
                                + vocab + ", " + dim + "]");
                    }
                    ops.add(embedding(floats(w, l.getName() + ".weight"), vocab, dim, shape[0]));
                    shape = new int[] {dim, 1, shape[0]};
                }
                case "graph_conv" -> {
                    requireImage(l, shape);
                    int in = attribute(l, "in_features");
                    int out = attribute(l, "out_features");
                    int nodes = attribute(l, "nodes");
                    int graphFeatures = attribute(l, "graph_features");
                    if (shape[1] != 1 || shape[2] != nodes || shape[0] < in || in < 1 || out < 1 || graphFeatures < 1) {
                        throw new InvalidSnapshotException(l.getName() + ": in_features " + in + ", out_features " + out + ", nodes "
                                + nodes + " do not fit an input of " + java.util.Arrays.toString(shape));
                    }
                    Tensor w = require(weights, l.getName() + ".weight");
                    Tensor b = require(weights, l.getName() + ".bias");
                    if (!w.getShape().equals(List.of(in, out)) || !b.getShape().equals(List.of(out))) {
                        throw new InvalidSnapshotException(l.getName() + " weights have shapes " + w.getShape() + " and " + b.getShape()
                                + ", expected [" + in + ", " + out + "] and [" + out + "]");
                    }
                    ops.add(graphConv(floats(w, l.getName() + ".weight"), floats(b, l.getName() + ".bias"), in, out, nodes,
                            graphFeatures));
                    shape = new int[] {out, 1, nodes};
                }
                case "graph_centre" -> {
                    requireImage(l, shape);
                    int c = shape[0];
                    int nodes = shape[2];
                    ops.add(x -> {
                        float[] y = new float[c];
                        for (int ch = 0; ch < c; ch++) y[ch] = x[ch * nodes];
                        return y;
                    });
                    shape = new int[] {c};
                }
                case "max_pool2d", "avg_pool2d" -> {
                    requireImage(l, shape);
                    int k = attribute(l, "kernel_size");
                    int stride = attribute(l, "stride");
                    int oh = k < 1 || stride < 1 ? 0 : (shape[1] - k) / stride + 1;
                    int ow = k < 1 || stride < 1 ? 0 : (shape[2] - k) / stride + 1;
                    if (k < 1 || stride < 1 || k > shape[1] || k > shape[2]) {
                        throw new InvalidSnapshotException(l.getName() + ": kernel_size " + k + ", stride " + stride + " do not fit " + java.util.Arrays.toString(shape));
                    }
                    ops.add(pool(shape, k, stride, oh, ow, l.getKind().equals("max_pool2d")));
                    shape = new int[] {shape[0], oh, ow};
                }
                case "global_avg_pool" -> {
                    requireImage(l, shape);
                    int c = shape[0];
                    int area = shape[1] * shape[2];
                    ops.add(x -> {
                        float[] y = new float[c];
                        for (int ch = 0; ch < c; ch++) {
                            double sum = 0;
                            for (int p = 0; p < area; p++) sum += x[ch * area + p];
                            y[ch] = (float) (sum / area);
                        }
                        return y;
                    });
                    shape = new int[] {c};
                }
                case "batch_norm" -> {
                    int c = shape[0];
                    int per = size / c;
                    float[] scale = floats(require(weights, l.getName() + ".weight"), l.getName() + ".weight");
                    float[] shift = floats(require(weights, l.getName() + ".bias"), l.getName() + ".bias");
                    if (scale.length != c || shift.length != c) {
                        throw new InvalidSnapshotException(l.getName() + ": weight and bias must have " + c + " values (the channels)");
                    }
                    ops.add(x -> {
                        for (int ch = 0; ch < c; ch++) {
                            for (int p = ch * per; p < (ch + 1) * per; p++) x[p] = x[p] * scale[ch] + shift[ch];
                        }
                        return x;
                    });
                }
                case "residual" -> {
                    int body = attribute(l, "body");
                    int shortcut = attribute(l, "shortcut");
                    if (body < 1 || shortcut < 0 || i + body + shortcut > to) {
                        throw new InvalidSnapshotException(l.getName() + ": body " + body + " and shortcut " + shortcut
                                + " entries do not fit the layers that follow");
                    }
                    List<Op> bodyOps = new ArrayList<>();
                    List<Op> shortcutOps = new ArrayList<>();
                    int[] bodyShape = build(layers, i, i + body, shape, weights, bodyOps);
                    int[] shortcutShape = build(layers, i + body, i + body + shortcut, shape, weights, shortcutOps);
                    if (!java.util.Arrays.equals(bodyShape, shortcutShape)) {
                        throw new InvalidSnapshotException(l.getName() + ": the body gives " + java.util.Arrays.toString(bodyShape)
                                + ", the shortcut " + java.util.Arrays.toString(shortcutShape));
                    }
                    ops.add(x -> {
                        float[] a = x.clone();
                        for (Op op : bodyOps) a = op.apply(a);
                        float[] b = x;
                        for (Op op : shortcutOps) b = op.apply(b);
                        for (int p = 0; p < a.length; p++) a[p] += b[p];
                        return a;
                    });
                    i += body + shortcut;
                    shape = bodyShape;
                }
                case "flatten" -> shape = new int[] {size};
                case "relu" -> ops.add(x -> {
                    for (int p = 0; p < x.length; p++) if (x[p] < 0) x[p] = 0;
                    return x;
                });
                case "l2_normalize" -> ops.add(x -> {
                    double n = 0;
                    for (float v : x) n += v * v;
                    float inv = (float) (1 / Math.max(Math.sqrt(n), 1e-12));
                    for (int p = 0; p < x.length; p++) x[p] *= inv;
                    return x;
                });
                default -> throw new InvalidSnapshotException("unknown layer kind '" + l.getKind() + "' in " + l.getName());
            }
        }
        return shape;
    }

    private static void requireImage(Layer l, int[] shape) {
        if (shape.length != 3) {
            throw new InvalidSnapshotException(l.getName() + ": " + l.getKind() + " needs a [C, H, W] input, has "
                    + java.util.Arrays.toString(shape));
        }
    }

    private static Tensor require(Map<String, Tensor> weights, String name) {
        Tensor t = weights.get(name);
        if (t == null) throw new InvalidSnapshotException("missing weight " + name);
        return t;
    }

    private static float[] floats(Tensor t, String name) {
        if (t.getDtype() != DType.FLOAT32) {
            throw new InvalidSnapshotException(name + " is " + t.getDtype() + ", expected FLOAT32");
        }
        long n = 1;
        for (int d : t.getShape()) n *= d;
        FloatBuffer fb = t.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        if (fb.remaining() != n || t.getData().remaining() != 4 * n) {
            throw new InvalidSnapshotException(name + " holds " + t.getData().remaining() + " bytes, its shape needs " + 4 * n);
        }
        float[] out = new float[(int) n];
        fb.get(out);
        return out;
    }

    private static int attribute(Layer l, String name) {
        CharSequence v = l.getAttributes().get(name);
        if (v == null) throw new InvalidSnapshotException(l.getName() + ": missing attribute " + name);
        try {
            return Integer.parseInt(v.toString());
        } catch (NumberFormatException e) {
            throw new InvalidSnapshotException(l.getName() + ": attribute " + name + " is not an integer: " + v);
        }
    }

    /** Cross-correlation of a [C, H, W] input with W [out, C, k, k], zero padding, plus bias. */
    private static Op conv2d(float[] w, float[] b, int[] inShape, int out, int k, int stride, int pad, int oh, int ow) {
        int c = inShape[0];
        int h = inShape[1];
        int wd = inShape[2];
        return x -> {
            float[] y = new float[out * oh * ow];
            for (int o = 0; o < out; o++) {
                int yo = o * oh * ow;
                java.util.Arrays.fill(y, yo, yo + oh * ow, b[o]);
                for (int i = 0; i < c; i++) {
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            float wv = w[((o * c + i) * k + ky) * k + kx];
                            for (int r = 0; r < oh; r++) {
                                int sy = r * stride + ky - pad;
                                if (sy < 0 || sy >= h) continue;
                                int xrow = (i * h + sy) * wd;
                                int yrow = yo + r * ow;
                                for (int q = 0; q < ow; q++) {
                                    int sx = q * stride + kx - pad;
                                    if (sx >= 0 && sx < wd) y[yrow + q] += wv * x[xrow + sx];
                                }
                            }
                        }
                    }
                }
            }
            return y;
        };
    }

    /**
     * A graph convolution on {@code [C, 1, N]} (channels first; its first {@code in} channels are
     * the features), with the structure of the packed graph being embedded: node {@code i} gets
     * {@code m_i (Σ_j Â_ij x_j W + b)}, {@code Â_ij = (A_ij + [i = j]) / (deg_i + 1)}.
     */
    private static Op graphConv(float[] w, float[] bias, int in, int out, int nodes, int graphFeatures) {
        int packed = graphFeatures + nodes + 1;
        return x -> {
            float[] g = GRAPH.get();
            if (g == null || g.length != nodes * packed) {
                throw new IllegalStateException("graph_conv needs the packed graph of " + nodes + " nodes as the input");
            }
            float[] y = new float[out * nodes];
            double[] agg = new double[in];
            for (int i = 0; i < nodes; i++) {
                int row = i * packed;
                if (g[row + graphFeatures + nodes] == 0) continue;
                double degree = 1;
                for (int j = 0; j < nodes; j++) degree += g[row + graphFeatures + j];
                java.util.Arrays.fill(agg, 0);
                for (int j = 0; j < nodes; j++) {
                    double a = (j == i ? 1 : g[row + graphFeatures + j]) / degree;
                    if (a == 0) continue;
                    for (int c = 0; c < in; c++) agg[c] += a * x[c * nodes + j];
                }
                for (int o = 0; o < out; o++) {
                    double v = bias[o];
                    for (int c = 0; c < in; c++) v += agg[c] * w[c * out + o];
                    y[o * nodes + i] = (float) v;
                }
            }
            return y;
        };
    }

    /** Token ids {@code [T]} to the table's rows, channels first: {@code [D, 1, T]}. */
    private static Op embedding(float[] table, int vocab, int dim, int steps) {
        return x -> {
            float[] y = new float[dim * steps];
            for (int t = 0; t < steps; t++) {
                float v = x[t];
                int id = (int) v;
                if (id != v || id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("token " + t + " is " + v + ", not an id in [0, " + vocab + ")");
                }
                for (int d = 0; d < dim; d++) y[d * steps + t] = table[id * dim + d];
            }
            return y;
        };
    }

    /**
     * A GRU over a [F, T] input (channels first) to its last hidden state, or ({@code everyStep})
     * to every step's hidden state, channels first [H, T]: gates r, z, n with {@code x W_ih + b_ih}
     * and {@code h W_hh + b_hh}, {@code n = tanh(x_n + r (h_n))}, {@code h' = (1 - z) n + z h} from
     * {@code h = 0}.
     */
    private static Op gru(float[] wih, float[] whh, float[] bih, float[] bhh, int f, int steps, int h, boolean everyStep) {
        return x -> {
            double[] state = new double[h];
            double[] gi = new double[3 * h];
            double[] gh = new double[3 * h];
            float[] y = new float[everyStep ? h * steps : h];
            for (int t = 0; t < steps; t++) {
                for (int j = 0; j < 3 * h; j++) {
                    gi[j] = bih[j];
                    gh[j] = bhh[j];
                }
                for (int i = 0; i < f; i++) {
                    double v = x[i * steps + t];
                    for (int j = 0; j < 3 * h; j++) gi[j] += v * wih[i * 3 * h + j];
                }
                for (int i = 0; i < h; i++) {
                    double v = state[i];
                    for (int j = 0; j < 3 * h; j++) gh[j] += v * whh[i * 3 * h + j];
                }
                for (int j = 0; j < h; j++) {
                    double r = 1 / (1 + Math.exp(-(gi[j] + gh[j])));
                    double z = 1 / (1 + Math.exp(-(gi[h + j] + gh[h + j])));
                    double n = Math.tanh(gi[2 * h + j] + r * gh[2 * h + j]);
                    state[j] = (1 - z) * n + z * state[j];
                    if (everyStep) y[j * steps + t] = (float) state[j];
                }
            }
            if (everyStep) return y;
            for (int j = 0; j < h; j++) y[j] = (float) state[j];
            return y;
        };
    }

    /** Cross-correlation along time of a [C, T] input with W [out, C, k], zero padding, plus bias. */
    private static Op conv1d(float[] w, float[] b, int c, int len, int out, int k, int stride, int pad, int ol) {
        return x -> {
            float[] y = new float[out * ol];
            for (int o = 0; o < out; o++) {
                int yo = o * ol;
                java.util.Arrays.fill(y, yo, yo + ol, b[o]);
                for (int i = 0; i < c; i++) {
                    for (int kx = 0; kx < k; kx++) {
                        float wv = w[(o * c + i) * k + kx];
                        for (int q = 0; q < ol; q++) {
                            int sx = q * stride + kx - pad;
                            if (sx >= 0 && sx < len) y[yo + q] += wv * x[i * len + sx];
                        }
                    }
                }
            }
            return y;
        };
    }

    /** Max or mean of each k×k window with stride s, no padding, per channel. */
    private static Op pool(int[] inShape, int k, int stride, int oh, int ow, boolean max) {
        int c = inShape[0];
        int h = inShape[1];
        int wd = inShape[2];
        float area = k * k;
        return x -> {
            float[] y = new float[c * oh * ow];
            for (int ch = 0; ch < c; ch++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        float m = max ? Float.NEGATIVE_INFINITY : 0;
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                float v = x[(ch * h + r * stride + ky) * wd + q * stride + kx];
                                m = max ? Math.max(m, v) : m + v;
                            }
                        }
                        y[(ch * oh + r) * ow + q] = max ? m : m / area;
                    }
                }
            }
            return y;
        };
    }

    /** y = x W + b with W row-major [in, out]. */
    private static Op linear(float[] w, float[] b, int in, int out) {
        return x -> {
            float[] y = b.clone();
            for (int i = 0; i < in; i++) {
                float xi = x[i];
                if (xi == 0) continue;
                int row = i * out;
                for (int j = 0; j < out; j++) {
                    y[j] += xi * w[row + j];
                }
            }
            return y;
        };
    }

    /** The representation of one sample; {@code pixels} flattened, scaled to 0..1. */
    public float[] embed(float[] pixels) {
        if (pixels.length != inputSize) {
            throw new IllegalArgumentException("input has " + pixels.length + " values, encoder takes " + inputSize);
        }
        float[] x = new float[inputSize];
        for (int i = 0; i < inputSize; i++) x[i] = (pixels[i] - mean) * invStd;
        if (!graph) {
            for (Op op : ops) x = op.apply(x);
            return x;
        }
        // Graph layers read the structure from the packed input.
        GRAPH.set(x.clone());
        try {
            for (Op op : ops) x = op.apply(x);
        } finally {
            GRAPH.remove();
        }
        return x;
    }

    /** The representation of one sample given as unsigned bytes (0..255). */
    public float[] embed(byte[] pixels) {
        float[] f = new float[pixels.length];
        for (int i = 0; i < f.length; i++) f[i] = (pixels[i] & 0xFF) / 255f;
        return embed(f);
    }

    /**
     * The representation of one sample of token ids, for an encoder whose first layer is an
     * {@code embedding} (its snapshot's {@code input_mean} is 0 and {@code input_std} 1, so the
     * ids reach it unchanged).
     */
    public float[] embedTokens(int[] ids) {
        float[] f = new float[ids.length];
        for (int i = 0; i < f.length; i++) f[i] = ids[i];
        return embed(f);
    }

    public float[][] embedBatch(float[][] batch) {
        float[][] out = new float[batch.length][];
        for (int i = 0; i < batch.length; i++) out[i] = embed(batch[i]);
        return out;
    }

    public String modelId() {
        return modelId;
    }

    public long version() {
        return version;
    }

    public int inputSize() {
        return inputSize;
    }

    public int embeddingDim() {
        return outputSize;
    }
}
