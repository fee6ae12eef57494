package io.kontrast.operators.views;

import java.util.SplittableRandom;

/**
 * The views of sentence-order prediction (ALBERT's SOP) on a sequence of {@code T} steps of
 * {@code F} features: the sequence is cut at a random step in [0.3 T, 0.7 T] into two consecutive
 * segments, each resampled (linear interpolation along time) to the full {@code T} steps, so that
 * the encoder and the backbone it publishes stay those of the other objectives. With probability
 * 1/2 the two are swapped. The segments are not normalised: each is then one sample's raw input to
 * the sequence views ({@link SequenceViews}), which normalise.
 *
 * <p>The target of the pair: 0 when the first view is the earlier segment, 1 when swapped. The
 * cut's range is symmetric, so a segment's length (its stretch) does not give the order away.
 * Stateless; thread-safe.
 */
public final class SegmentPairs {
    private final int steps;
    private final int features;

    /** Token samples: the pad id that follows a segment's ids (which are not resampled); NaN otherwise. */
    private final float pad;

    public SegmentPairs(int steps, int features) {
        this(steps, features, Float.NaN);
    }

    private SegmentPairs(int steps, int features, float pad) {
        if (steps < 4) throw new IllegalArgumentException("segment pairs need a sequence of at least 4 steps, got " + steps);
        this.steps = steps;
        this.features = features;
        this.pad = pad;
    }

    /**
     * Segment pairs of {@code steps} token ids: each segment's ids as they are, at the front,
     * padded with {@code padId} to {@code steps} (ids are not interpolated or normalised).
     */
    public static SegmentPairs tokens(int steps, int padId) {
        return new SegmentPairs(steps, 1, padId);
    }

    /** The target of a pair whose segments come from two samples (see {@link #buildMixed}). */
    public static final int OTHER = 2;

    /** Writes the pair of {@code x} into {@code a} and {@code b}; returns its target (0 in order, 1 swapped). */
    public int build(float[] x, SplittableRandom rnd, float[] a, float[] b) {
        int cut = cut(rnd);
        boolean swap = rnd.nextBoolean();
        segment(x, 0, cut, swap ? b : a);
        segment(x, cut, steps, swap ? a : b);
        return swap ? 1 : 0;
    }

    /**
     * A pair from two samples, NSP's "not next": each is cut as in {@link #build}, and the pair is
     * the earlier segment of one and the later segment of the other (which of the two gives which,
     * and whether they are swapped, drawn at random), so that neither a segment's place nor its
     * stretch tells this class from the other two; only whether the two fit does. Returns {@link
     * #OTHER}.
     */
    public int buildMixed(float[] x, float[] other, SplittableRandom rnd, float[] a, float[] b) {
        boolean earlierOwn = rnd.nextBoolean();
        float[] first = earlierOwn ? x : other;
        float[] second = earlierOwn ? other : x;
        int cutFirst = cut(rnd);
        int cutSecond = cut(rnd);
        boolean swap = rnd.nextBoolean();
        segment(first, 0, cutFirst, swap ? b : a);
        segment(second, cutSecond, steps, swap ? a : b);
        return OTHER;
    }

    /** A cut in [0.3 T, 0.7 T]. */
    private int cut(SplittableRandom rnd) {
        int lo = (int) Math.ceil(0.3 * steps);
        int hi = (int) Math.floor(0.7 * steps);
        return lo + rnd.nextInt(Math.max(1, hi - lo + 1));
    }

    /** Steps {@code [from, to)} of {@code x}, resampled to {@code steps} steps, into {@code out}. */
    private void segment(float[] x, int from, int to, float[] out) {
        int length = to - from;
        if (!Float.isNaN(pad)) {
            System.arraycopy(x, from, out, 0, length);
            java.util.Arrays.fill(out, length, steps, pad);
            return;
        }
        int f = features;
        for (int o = 0; o < steps; o++) {
            double at = from + (o + 0.5) * length / steps - 0.5;
            at = Math.max(from, Math.min(to - 1, at));
            int l = (int) Math.floor(at);
            int h = Math.min(l + 1, to - 1);
            float w = (float) (at - l);
            for (int j = 0; j < f; j++) out[o * f + j] = x[l * f + j] * (1 - w) + x[h * f + j] * w;
        }
    }
}
