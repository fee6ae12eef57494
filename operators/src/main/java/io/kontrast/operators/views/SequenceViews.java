package io.kontrast.operators.views;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;

/**
 * A view of a sequence of {@code T} steps of {@code F} features ({@code [T, F]}, row-major), in
 * this order:
 *
 * <ol>
 *   <li>a random window: a length fraction in [cropMinScale, 1] at a random start, resampled back
 *       to {@code T} steps by linear interpolation along time;
 *   <li>scaling: every value times one factor in [1 − scaling, 1 + scaling];
 *   <li>jitter: Gaussian noise of noiseStd (in the features' units) on every value;
 *   <li>normalisation {@code (x - mean) / std};
 *   <li>time masking: one span of up to timeMask × T consecutive steps set to 0 (the mean).
 * </ol>
 *
 * <p>Draws come from the generator it is given (the sample's own). Stateless; thread-safe.
 */
public final class SequenceViews {
    private final ViewSettings s;
    private final int steps;
    private final int features;
    private final ChannelStats norm;

    public SequenceViews(ViewSettings settings, int steps, int features) {
        this.s = settings;
        this.steps = steps;
        this.features = features;
        this.norm = settings.normalization(features);
    }

    /** One view of {@code x} into {@code out}. */
    public void view(float[] x, SplittableRandom rnd, float[] out) {
        int t = steps;
        int f = features;
        double fraction = s.cropMinScale() + (1 - s.cropMinScale()) * rnd.nextDouble();
        int length = Math.max(Math.min(2, t), Math.min(t, (int) Math.round(fraction * t)));
        int start = rnd.nextInt(t - length + 1);
        float scale = (float) (1 + s.scaling() * (2 * rnd.nextDouble() - 1));
        double noise = s.noiseStd();
        for (int o = 0; o < t; o++) {
            // The centre of output step o, in the window's coordinates (as a resize aligns pixel centres).
            double at = start + (o + 0.5) * length / t - 0.5;
            at = Math.max(start, Math.min(start + length - 1, at));
            int lo = (int) Math.floor(at);
            int hi = Math.min(lo + 1, start + length - 1);
            float w = (float) (at - lo);
            for (int j = 0; j < f; j++) {
                float v = x[lo * f + j] * (1 - w) + x[hi * f + j] * w;
                v *= scale;
                if (noise > 0) v += (float) (noise * VectorViews.gaussian(rnd));
                out[o * f + j] = (v - norm.mean(j)) * norm.inv(j);
            }
        }
        int longest = (int) Math.floor(s.timeMask() * t);
        if (longest > 0) {
            int span = rnd.nextInt(longest + 1);
            int from = rnd.nextInt(t - span + 1);
            java.util.Arrays.fill(out, from * f, (from + span) * f, 0f);
        }
    }
}
