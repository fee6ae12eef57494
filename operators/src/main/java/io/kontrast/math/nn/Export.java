package io.kontrast.math.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link LayerNet} as snapshots publish it: the layers in inference form, in the NCHW
 * convention of PyTorch and ONNX that consumers implement.
 *
 * <ul>
 *   <li>{@code conv2d} weights become {@code [out, in, k, k]}, {@code conv1d} weights {@code [out,
 *       in, k]} (PyTorch's {@code Conv1d}; a sequence's activations are {@code [C, T]} there);
 *   <li>batch norm directly after a {@code conv2d} or {@code linear} layer is folded into it with
 *       the running statistics ({@code s = γ / sqrt(σ² + ε)}, {@code W' = W s}, {@code b' = (b −
 *       μ) s + β}); anywhere else it is published as {@code batch_norm}, a per-channel affine map
 *       with weight {@code s} and bias {@code β − μ s};
 *   <li>the trainer flattens images in (h, w, c) order, snapshots in (c, h, w): the rows of the
 *       {@code linear} layer after a {@code flatten} (and a vector batch norm between them) are
 *       reordered to match;
 *   <li>{@code gru} is published as trained: {@code weight_ih} {@code [F, 3H]}, {@code weight_hh}
 *       {@code [H, 3H]}, {@code bias_ih} and {@code bias_hh} {@code [3H]}, gates r, z, n;
 *   <li>{@code embedding} is published as trained: {@code weight} {@code [num_embeddings,
 *       embedding_dim]};
 *   <li>a {@code residual} block is published as one {@code residual} entry whose attributes
 *       {@code body} and {@code shortcut} count the entries that follow it for each branch (0 for
 *       an identity shortcut), nested blocks included.
 * </ul>
 */
public final class Export {
    private Export() {}

    /** A published tensor: name, shape and float values, row-major. */
    public record Tensor(String name, int[] shape, float[] data) {}

    /** A published layer. */
    public record Entry(String name, String kind, String part, Map<String, String> attributes, List<Tensor> weights) {}

    public static List<Entry> of(LayerNet net, INDArray params, INDArray stats) {
        float[] p = params.dup().reshape(-1).toFloatVector();
        float[] s = net.statsCount() > 0 ? stats.dup().reshape(-1).toFloatVector() : new float[0];
        List<Entry> out = new ArrayList<>();
        int[] order = chain(net.backbone(), "backbone", p, s, null, out);
        chain(net.head(), "head", p, s, order, out);
        return out;
    }

    /**
     * Publishes a chain; {@code order}, where not null, maps each published feature index (c, h,
     * w) to the trainer's (h, w, c) index of the same value. Returns the order after the chain.
     */
    private static int[] chain(List<Layer> layers, String part, float[] p, float[] s, int[] order, List<Entry> out) {
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            BatchNorm next = i + 1 < layers.size() && layers.get(i + 1) instanceof BatchNorm bn ? bn : null;
            switch (l.kind()) {
                case "conv2d" -> {
                    Conv2d c = (Conv2d) l;
                    int in = c.in.channels();
                    int o = c.out.channels();
                    float[][] wb = folded(c, next, p, s);
                    if (next != null) i++;
                    float[] oihw = new float[wb[0].length];
                    int k = c.k;
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            for (int ci = 0; ci < in; ci++) {
                                for (int co = 0; co < o; co++) {
                                    oihw[((co * in + ci) * k + ky) * k + kx] = wb[0][((ky * k + kx) * in + ci) * o + co];
                                }
                            }
                        }
                    }
                    out.add(new Entry(l.name, "conv2d", part, l.attributes(), List.of(
                            new Tensor(l.name + ".weight", new int[] {o, in, k, k}, oihw),
                            new Tensor(l.name + ".bias", new int[] {o}, wb[1]))));
                }
                case "conv1d" -> {
                    Conv2d c = (Conv2d) l;
                    int in = c.in.channels();
                    int o = c.out.channels();
                    float[][] wb = folded(c, next, p, s);
                    if (next != null) i++;
                    float[] oik = new float[wb[0].length];
                    int k = c.k;
                    for (int kx = 0; kx < k; kx++) {
                        for (int ci = 0; ci < in; ci++) {
                            for (int co = 0; co < o; co++) oik[(co * in + ci) * k + kx] = wb[0][(kx * in + ci) * o + co];
                        }
                    }
                    out.add(new Entry(l.name, "conv1d", part, l.attributes(), List.of(
                            new Tensor(l.name + ".weight", new int[] {o, in, k}, oik),
                            new Tensor(l.name + ".bias", new int[] {o}, wb[1]))));
                }
                case "linear" -> {
                    int in = l.in.size();
                    int o = l.out.size();
                    float[][] wb = folded(l, next, p, s);
                    if (next != null) i++;
                    float[] w = wb[0];
                    if (order != null) {
                        w = new float[wb[0].length];
                        for (int f = 0; f < in; f++) System.arraycopy(wb[0], order[f] * o, w, f * o, o);
                        order = null;
                    }
                    out.add(new Entry(l.name, "linear", part, l.attributes(), List.of(
                            new Tensor(l.name + ".weight", new int[] {in, o}, w), new Tensor(l.name + ".bias", new int[] {o}, wb[1]))));
                }
                case "batch_norm" -> {
                    int c = l.in.channels();
                    float[] scale = new float[c];
                    float[] shift = new float[c];
                    affine((BatchNorm) l, p, s, scale, shift);
                    if (order != null) {
                        scale = permuted(scale, order);
                        shift = permuted(shift, order);
                    }
                    out.add(new Entry(l.name, "batch_norm", part, Map.of("num_features", Integer.toString(c)), List.of(
                            new Tensor(l.name + ".weight", new int[] {c}, scale), new Tensor(l.name + ".bias", new int[] {c}, shift))));
                }
                case "flatten" -> {
                    out.add(new Entry(l.name, "flatten", part, Map.of(), List.of()));
                    Shape in = l.in;
                    if (in.area() > 1) {
                        order = new int[in.size()];
                        for (int c = 0; c < in.channels(); c++) {
                            for (int y = 0; y < in.height(); y++) {
                                for (int x = 0; x < in.width(); x++) {
                                    order[(c * in.height() + y) * in.width() + x] = (y * in.width() + x) * in.channels() + c;
                                }
                            }
                        }
                    }
                }
                case "residual" -> {
                    if (order != null) {
                        throw new IllegalArgumentException("layer " + l.name + ": a residual block on a flattened image cannot be published");
                    }
                    Residual r = (Residual) l;
                    List<Entry> body = new ArrayList<>();
                    List<Entry> shortcut = new ArrayList<>();
                    chain(r.body, part, p, s, null, body);
                    chain(r.shortcut, part, p, s, null, shortcut);
                    Map<String, String> attrs = new LinkedHashMap<>();
                    attrs.put("body", Integer.toString(body.size()));
                    attrs.put("shortcut", Integer.toString(shortcut.size()));
                    out.add(new Entry(l.name, "residual", part, attrs, List.of()));
                    out.addAll(body);
                    out.addAll(shortcut);
                }
                case "global_avg_pool" -> {
                    out.add(new Entry(l.name, l.kind(), part, l.attributes(), List.of()));
                    order = null;
                }
                case "gru", "embedding", "graph_conv" -> {
                    List<Tensor> weights = new ArrayList<>();
                    long o = l.paramOffset;
                    for (Layer.Tensor t : l.tensors()) {
                        int[] shape = new int[t.shape().length];
                        for (int d = 0; d < shape.length; d++) shape[d] = (int) t.shape()[d];
                        float[] v = new float[(int) t.size()];
                        System.arraycopy(p, (int) o, v, 0, v.length);
                        weights.add(new Tensor(l.name + "." + t.suffix(), shape, v));
                        o += t.size();
                    }
                    out.add(new Entry(l.name, l.kind(), part, l.attributes(), weights));
                }
                default -> out.add(new Entry(l.name, l.kind(), part, l.attributes(), List.of()));
            }
        }
        return order;
    }

    private static float[] permuted(float[] v, int[] order) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[order[i]];
        return r;
    }

    /** Weight (last axis = output) and bias of a conv or linear layer, with {@code bn} (if not null) folded in. */
    private static float[][] folded(Layer l, BatchNorm bn, float[] p, float[] s) {
        List<Layer.Tensor> ts = l.tensors();
        int wn = (int) ts.get(0).size();
        int o = (int) ts.get(1).size();
        float[] w = new float[wn];
        float[] b = new float[o];
        System.arraycopy(p, (int) l.paramOffset, w, 0, wn);
        System.arraycopy(p, (int) l.paramOffset + wn, b, 0, o);
        if (bn == null) {
            return new float[][] {w, b};
        }
        float[] scale = new float[o];
        float[] shift = new float[o];
        affine(bn, p, s, scale, shift);
        for (int i = 0; i < o; i++) b[i] = b[i] * scale[i] + shift[i];
        for (int i = 0; i < wn; i++) w[i] *= scale[i % o];
        return new float[][] {w, b};
    }

    /** Batch norm in inference form: {@code y = x scale + shift}. */
    private static void affine(BatchNorm bn, float[] p, float[] s, float[] scale, float[] shift) {
        int c = bn.in.channels();
        int g = (int) bn.paramOffset;
        int st = (int) bn.statsOffset;
        for (int i = 0; i < c; i++) {
            double sc = p[g + i] / Math.sqrt(s[st + c + i] + BatchNorm.EPS);
            scale[i] = (float) sc;
            shift[i] = (float) (p[g + c + i] - s[st + i] * sc);
        }
    }
}
