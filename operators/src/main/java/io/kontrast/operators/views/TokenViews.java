package io.kontrast.operators.views;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;

/**
 * A view of a sample of {@code T} token ids, in this order:
 *
 * <ol>
 *   <li>a random window: a length fraction in [cropMinScale, 1] of the tokens at a random start,
 *       moved to the front as they are (ids are not interpolated) and padded with the pad id to
 *       {@code T};
 *   <li>masking: each token of the window replaced by the pad id with probability tokenMask;
 *   <li>replacement: each other token replaced by an id drawn uniformly from the vocabulary with
 *       probability tokenReplace.
 * </ol>
 *
 * <p>Ids are not normalised. Draws come from the generator it is given (the sample's own).
 * Stateless; thread-safe.
 */
public final class TokenViews {
    private final ViewSettings s;
    private final int steps;

    public TokenViews(ViewSettings settings, int steps) {
        if (!settings.tokens()) throw new IllegalArgumentException("token views need a vocabulary");
        this.s = settings;
        this.steps = steps;
    }

    /** One view of {@code x} into {@code out}. */
    public void view(float[] x, SplittableRandom rnd, float[] out) {
        int t = steps;
        double fraction = s.cropMinScale() + (1 - s.cropMinScale()) * rnd.nextDouble();
        int length = Math.max(1, Math.min(t, (int) Math.round(fraction * t)));
        int start = rnd.nextInt(t - length + 1);
        float pad = s.padId();
        double mask = s.tokenMask();
        double replace = s.tokenReplace();
        for (int o = 0; o < length; o++) {
            float v = x[start + o];
            double r = rnd.nextDouble();
            if (r < mask) {
                v = pad;
            } else if (r < mask + replace) {
                v = rnd.nextInt(s.vocab());
            }
            out[o] = v;
        }
        java.util.Arrays.fill(out, length, t, pad);
    }
}
