package io.kontrast.math.nn;

import java.util.List;
import java.util.Set;

/**
 * One layer of an encoder, as data, in the vocabulary that snapshots publish:
 *
 * <ul>
 *   <li>{@code conv2d}: {@code out} channels, a {@code kernel}×{@code kernel} window, {@code
 *       stride}, zero {@code padding};
 *   <li>{@code conv1d}: the same on a sequence, a window of {@code kernel} steps, along time only;
 *   <li>{@code batch_norm}: per-channel batch normalisation;
 *   <li>{@code relu};
 *   <li>{@code max_pool2d}, {@code avg_pool2d}: {@code kernel}, {@code stride}, no padding;
 *   <li>{@code global_avg_pool}: the mean of each channel over the image, to a vector;
 *   <li>{@code flatten}: an image to a vector;
 *   <li>{@code linear}: {@code out} features, on a vector;
 *   <li>{@code residual}: {@code body} applied to the input and added to the input, or to the
 *       input passed through {@code shortcut} (a projection, typically a 1×1 {@code conv2d} and a
 *       {@code batch_norm}) where the body changes the shape;
 *   <li>{@code l2_normalize}: each sample scaled to unit length;
 *   <li>{@code gru}: a gated recurrent unit of {@code out} hidden units over a sequence, to its last
 *       hidden state, or ({@link #everyStep()}) to the sequence of every step's hidden state;
 *   <li>{@code embedding}: token ids to vectors, a table of {@code kernel} rows (the vocabulary)
 *       of {@code out} values; a sample of {@code T} ids becomes a sequence of {@code T} steps.
 * </ul>
 *
 * <p>Sizes not used by a kind are 0; {@code body} and {@code shortcut} are empty except for {@code
 * residual}.
 */
public record LayerSpec(String kind, int out, int kernel, int stride, int padding, List<LayerSpec> body,
        List<LayerSpec> shortcut) {
    /** Every kind this library builds. */
    public static final Set<String> KINDS = Set.of("conv2d", "conv1d", "batch_norm", "relu", "max_pool2d", "avg_pool2d",
            "global_avg_pool", "flatten", "linear", "residual", "l2_normalize", "gru", "embedding",
            "graph_conv", "graph_centre");

    public LayerSpec {
        body = List.copyOf(body);
        shortcut = List.copyOf(shortcut);
    }

    public static LayerSpec conv2d(int outChannels, int kernel, int stride, int padding) {
        return new LayerSpec("conv2d", outChannels, kernel, stride, padding, List.of(), List.of());
    }

    public static LayerSpec conv1d(int outChannels, int kernel, int stride, int padding) {
        return new LayerSpec("conv1d", outChannels, kernel, stride, padding, List.of(), List.of());
    }

    public static LayerSpec batchNorm() {
        return simple("batch_norm");
    }

    public static LayerSpec relu() {
        return simple("relu");
    }

    public static LayerSpec maxPool2d(int kernel, int stride) {
        return new LayerSpec("max_pool2d", 0, kernel, stride, 0, List.of(), List.of());
    }

    public static LayerSpec avgPool2d(int kernel, int stride) {
        return new LayerSpec("avg_pool2d", 0, kernel, stride, 0, List.of(), List.of());
    }

    public static LayerSpec globalAvgPool() {
        return simple("global_avg_pool");
    }

    public static LayerSpec flatten() {
        return simple("flatten");
    }

    public static LayerSpec linear(int outFeatures) {
        return new LayerSpec("linear", outFeatures, 0, 0, 0, List.of(), List.of());
    }

    public static LayerSpec l2Normalize() {
        return simple("l2_normalize");
    }

    public static LayerSpec gru(int hidden) {
        return gru(hidden, false);
    }

    /**
     * A GRU of {@code hidden} units; {@code everyStep}: its output is the sequence of every step's
     * hidden state ({@code output: sequence}), for a pool or another GRU after it, instead of the
     * last state.
     */
    public static LayerSpec gru(int hidden, boolean everyStep) {
        return new LayerSpec("gru", hidden, everyStep ? 1 : 0, 0, 0, List.of(), List.of());
    }

    /** Whether a {@code gru} outputs every step's hidden state (kept in {@link #kernel}: 1). */
    public boolean everyStep() {
        return kind.equals("gru") && kernel == 1;
    }

    /** A table of {@code vocab} rows of {@code dim} values: token ids to a sequence of vectors. */
    public static LayerSpec embedding(int vocab, int dim) {
        return new LayerSpec("embedding", dim, vocab, 0, 0, List.of(), List.of());
    }

    /** A graph convolution of {@code outFeatures} per node (the mean over each node's neighbourhood, self included). */
    public static LayerSpec graphConv(int outFeatures) {
        return new LayerSpec("graph_conv", outFeatures, 0, 0, 0, List.of(), List.of());
    }

    /** A graph sample's centre node, its features as a vector. */
    public static LayerSpec graphCentre() {
        return simple("graph_centre");
    }

    /** An {@code embedding}'s vocabulary size (kept in {@link #kernel}). */
    public int vocab() {
        return kernel;
    }

    /** {@code y = body(x) + shortcut(x)}; an empty shortcut is the identity. */
    public static LayerSpec residual(List<LayerSpec> body, List<LayerSpec> shortcut) {
        return new LayerSpec("residual", 0, 0, 0, 0, body, shortcut);
    }

    private static LayerSpec simple(String kind) {
        return new LayerSpec(kind, 0, 0, 0, 0, List.of(), List.of());
    }
}
