package io.kontrast.operators.views;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Builds the view pairs of a batch of samples into two row-major buffers (first views, second
 * views), in two parts that may run side by side: each part takes the next sample not yet taken,
 * so that a part that starts late leaves more to the other instead of holding it up. A sample's
 * pair comes from a generator seeded by its id, whichever part builds it. One augmenter and two
 * working views per part; not thread-safe beyond the two parts of one {@link #build} call.
 */
public final class BatchViews {
    private final ViewAugmenter[] augmenters;
    private final ColorAugmenter[] colors;
    private final float[][][] views;
    private final AtomicInteger next = new AtomicInteger();
    private final int height;
    private final int width;
    private final int channels;
    private final boolean vector;
    // Context prediction: patch pairs in place of augmented views, one builder per part.
    private final PatchPairs[] patches;
    // Vector samples (F×1×1): SCARF views in place of image views.
    private final VectorViews vectors;
    // Sequence samples (F×1×T): windows, scaling, jitter and time masks.
    private final SequenceViews sequences;
    // Token samples (T ids): windows, masking and replacement of ids.
    private final TokenViews tokens;
    // Graph samples (packed): edge dropping, feature masking, noise.
    private final GraphViews graphs;
    // DGI: the second view is the first one corrupted (its nodes' features from elsewhere).
    private Corruption corruption = Corruption.NONE;
    // Per part: which features the graph view masked (the corruption masks the same).
    private final boolean[][] masks;
    // Per part: the neighbourhood shuffle's node indices.
    private final int[][] shuffles;
    // Sentence-order prediction: segment pairs of a sequence in place of its views.
    private final SegmentPairs segments;
    // Whether each segment then gets the sequence views (sequences; token segments are used as cut).
    private final boolean segmentViews;
    private final ViewSettings settings;
    // Paired samples with a part that is not a vector: each part gets its own kind's views, per thread part.
    private PartViews[] parts;
    // Sentence-order prediction: the share of pairs whose later segment is another sample's (class 2).
    private double otherFraction;
    // Sequences and tokens, per part: the sample with elements from other samples of the batch (SCARF).
    private final float[][] corrupted;

    public BatchViews(ViewSettings settings, int height, int width) {
        this(settings, 1, height, width);
    }

    /**
     * Views of {@code channels}-channel images: 1 (gray, {@link ViewAugmenter}) or 3 (RGB, {@link
     * ColorAugmenter}); with {@code height} and {@code width} 1, of vectors of {@code channels}
     * features ({@link VectorViews}); with {@code height} 1 only, of sequences of {@code width}
     * steps of {@code channels} features ({@link SequenceViews}); with token settings, of {@code
     * channels} token ids ({@link TokenViews}).
     */
    public BatchViews(ViewSettings settings, int channels, int height, int width) {
        this(settings, channels, height, width, -1, -1);
    }

    /**
     * With {@code gapFraction} ≥ 0, the pairs are context prediction's patches ({@link
     * PatchPairs}) and each sample's target is the second patch's position; on a sequence, they
     * are sentence-order prediction's segments ({@link SegmentPairs}) and the target is their order.
     */
    public BatchViews(ViewSettings settings, int channels, int height, int width, double gapFraction, double jitterFraction) {
        boolean tokensIn = settings.tokens();
        boolean graphIn = settings.graphs();
        boolean vector = height == 1 && width == 1 && !tokensIn;
        boolean sequence = height == 1 && width > 1 && !graphIn;
        if (!vector && !sequence && !tokensIn && !graphIn && channels != 1 && channels != 3) {
            throw new IllegalArgumentException("views take 1 or 3 channels, got " + channels);
        }
        if (vector && gapFraction >= 0) {
            throw new IllegalArgumentException("patch or segment pairs need an image or a sequence, got a vector of " + channels);
        }
        // A sequence's segments, resampled but not normalised, then each given the sequence views.
        segmentViews = sequence && gapFraction >= 0;
        segments = tokensIn && gapFraction >= 0 ? SegmentPairs.tokens(channels, settings.padId())
                : segmentViews ? new SegmentPairs(width, channels) : null;
        tokens = tokensIn ? new TokenViews(settings, channels) : null;
        graphs = graphIn ? new GraphViews(settings, width, channels) : null;
        masks = graphIn ? new boolean[2][graphs.features()] : null;
        shuffles = graphIn ? new int[2][2 * width] : null;
        vectors = vector ? new VectorViews(settings, channels) : null;
        sequences = sequence ? new SequenceViews(settings, width, channels) : null;
        patches = gapFraction < 0 || sequence || tokensIn || graphIn ? null : new PatchPairs[] {
            new PatchPairs(channels, height, width, gapFraction, jitterFraction, settings.normalization(channels)),
            new PatchPairs(channels, height, width, gapFraction, jitterFraction, settings.normalization(channels))};
        this.settings = settings;
        this.height = height;
        this.width = width;
        this.channels = channels;
        augmenters = new ViewAugmenter[] {new ViewAugmenter(settings), new ViewAugmenter(settings)};
        colors = new ColorAugmenter[] {new ColorAugmenter(settings), new ColorAugmenter(settings)};
        // Per part: the two views, and the two raw segments their views are drawn from.
        views = new float[2][segmentViews ? 4 : 2][channels * height * width];
        corrupted = (sequence || tokensIn) && settings.corruptionRate() > 0 ? new float[2][channels * height * width] : null;
        this.vector = vector;
    }

    /**
     * Writes the pairs of samples {@code [0, count)} into rows of {@code first} and {@code
     * second}, skipping those marked in {@code skip} (null: none). {@code twoParts} runs its two
     * tasks (the second on this thread), side by side or one after the other.
     */
    public void build(float[][] pixels, String[] ids, boolean[] skip, int count, FloatBuffer first, FloatBuffer second,
            BiConsumer<Runnable, Runnable> twoParts) {
        build(pixels, ids, skip, count, first, second, null, twoParts);
    }

    /**
     * {@link #build(float[][], String[], boolean[], int, FloatBuffer, FloatBuffer, BiConsumer)},
     * writing each sample's target into {@code targets} (context prediction: the second patch's
     * position; -1 for augmented views). {@code targets} may be null when the views carry none.
     */
    public void build(float[][] pixels, String[] ids, boolean[] skip, int count, FloatBuffer first, FloatBuffer second,
            int[] targets, BiConsumer<Runnable, Runnable> twoParts) {
        if (patchPairs() && targets == null) throw new IllegalArgumentException("patch and segment pairs need an array for their targets");
        next.set(0);
        twoParts.accept(() -> part(1, pixels, ids, skip, count, first, second, targets),
                () -> part(0, pixels, ids, skip, count, first, second, targets));
    }

    /** Where a corrupted graph's node features come from. */
    public enum Corruption {
        /** No corruption: two views of each sample. */
        NONE,
        /** The neighbourhood's own nodes' features, shuffled among them. */
        NEIGHBOURHOOD,
        /** Random nodes of the batch's other samples ({@link GraphViews#corruptFromBatch}). */
        BATCH
    }

    /** Graph samples for DGI: each pair is a view and its corruption, drawn as {@code mode} says. Returns this. */
    public BatchViews corrupting(Corruption mode) {
        if (mode != Corruption.NONE && graphs == null) throw new IllegalArgumentException("only graph views have a corruption");
        this.corruption = mode;
        return this;
    }

    /**
     * Paired samples, each a row of all its parts' values in order: where a part is an image or a
     * sequence, each part gets the views of its own kind ({@link PartViews}); where all are
     * vectors, the row gets the vector views, as before. Returns this.
     */
    public BatchViews withParts(java.util.List<io.kontrast.math.nn.Shape> shapes) {
        int total = shapes.stream().mapToInt(io.kontrast.math.nn.Shape::size).sum();
        if (!vector || total != channels) {
            throw new IllegalArgumentException("paired samples come as one row of their parts' " + total + " values, not "
                    + channels + "x" + height + "x" + width);
        }
        parts = PartViews.needed(shapes) ? new PartViews[] {new PartViews(settings, shapes), new PartViews(settings, shapes)} : null;
        return this;
    }

    /**
     * Sentence-order prediction: with probability {@code fraction}, a pair's later segment comes
     * from another sample of the batch (NSP's random next segment) and its target is {@link
     * SegmentPairs#OTHER}, a third class beside in order and swapped. Returns this.
     */
    public BatchViews withOtherSegments(double fraction) {
        if (fraction > 0 && segments == null) throw new IllegalArgumentException("other segments need sentence-order pairs");
        this.otherFraction = fraction;
        return this;
    }

    /** Whether the pairs are context prediction's patches or sentence-order prediction's segments, with targets. */
    public boolean patchPairs() {
        return patches != null || segments != null;
    }

    private void part(int p, float[][] pixels, String[] ids, boolean[] skip, int count, FloatBuffer first, FloatBuffer second,
            int[] targets) {
        ViewAugmenter aug = augmenters[p];
        ColorAugmenter color = colors[p];
        float[] a = views[p][0];
        float[] b = views[p][1];
        int n = channels * height * width;
        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
            if (skip != null && skip[i]) continue;
            SplittableRandom rnd = aug.randomFor(ids[i]);
            if (patches != null) {
                targets[i] = patches[p].build(pixels[i], rnd, a, b);
            } else if (segmentViews) {
                targets[i] = segmentPair(pixels, skip, count, i, rnd, views[p][2], views[p][3]);
                sequences.view(views[p][2], rnd, a);
                sequences.view(views[p][3], rnd, b);
            } else if (segments != null) {
                targets[i] = segmentPair(pixels, skip, count, i, rnd, a, b);
            } else if (graphs != null) {
                graphs.view(pixels[i], rnd, a, masks[p]);
                if (corruption == Corruption.BATCH) {
                    graphs.corruptFromBatch(a, masks[p], pixels, skip, count, i, rnd, b);
                } else if (corruption == Corruption.NEIGHBOURHOOD) {
                    graphs.corrupt(a, rnd, b, shuffles[p]);
                } else {
                    graphs.view(pixels[i], rnd, b);
                }
            } else if (tokens != null) {
                tokens.view(pixels[i], rnd, a);
                tokens.view(corrupt(p, pixels, skip, count, i, rnd), rnd, b);
            } else if (parts != null) {
                parts[p].pair(pixels[i], rnd, aug, color, a, b);
            } else if (vector) {
                vectors.pair(pixels, count, i, rnd, a, b);
            } else if (sequences != null) {
                sequences.view(pixels[i], rnd, a);
                sequences.view(corrupt(p, pixels, skip, count, i, rnd), rnd, b);
            } else if (channels == 3) {
                color.augment(pixels[i], height, width, rnd, a);
                color.augment(pixels[i], height, width, rnd, b);
            } else {
                aug.augment(pixels[i], height, width, rnd, a);
                aug.augment(pixels[i], height, width, rnd, b);
            }
            if (!patchPairs() && targets != null) targets[i] = -1;
            first.put(i * n, a);
            second.put(i * n, b);
        }
    }

    /**
     * Sequences and tokens, for the second view of a pair (not for sentence-order prediction's
     * segments, where it measured lower): sample {@code row} with each of its values (a step's feature, or a
     * token) replaced, with the corruption rate's probability, by the same value of another sample
     * of the batch that is not in {@code skip}, a draw from that value's empirical marginal
     * (SCARF's corruption, element by element). Without corruption, the sample itself (and no draws).
     */
    private float[] corrupt(int p, float[][] batch, boolean[] skip, int rows, int row, SplittableRandom rnd) {
        float[] x = batch[row];
        if (corrupted == null || rows <= 1) return x;
        float[] out = corrupted[p];
        double rate = settings.corruptionRate();
        for (int k = 0; k < out.length; k++) {
            if (rnd.nextDouble() < rate) {
                int other = rnd.nextInt(rows - 1);
                if (other >= row) other++;
                // A row whose views came built has no raw values here: the value stays.
                out[k] = skip != null && skip[other] ? x[k] : batch[other][k];
            } else {
                out[k] = x[k];
            }
        }
        return out;
    }

    /**
     * Sample {@code row}'s segment pair and its target: its own two segments, or, at the other
     * fraction, one of its segments and the other part of another sample's (not skipped), in the
     * order of the sequence they are cut from.
     */
    private int segmentPair(float[][] batch, boolean[] skip, int rows, int row, SplittableRandom rnd, float[] a, float[] b) {
        if (otherFraction > 0 && rows > 1 && rnd.nextDouble() < otherFraction) {
            for (int tries = 0; tries < 8; tries++) {
                int other = rnd.nextInt(rows - 1);
                if (other >= row) other++;
                if (skip == null || !skip[other]) return segments.buildMixed(batch[row], batch[other], rnd, a, b);
            }
        }
        return segments.build(batch[row], rnd, a, b);
    }
}
