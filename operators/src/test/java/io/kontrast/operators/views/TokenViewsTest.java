package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenViewsTest {
    static final int T = 50;
    static final int VOCAB = 1000;
    static final int PAD = 999;

    static ViewSettings settings(double windowMin, double mask, double replace) {
        return new ViewSettings(windowMin, 0.5, 0.4, 0, 0f, 1f, 42).withTokenViews(VOCAB, mask, replace, PAD);
    }

    /** Token t is id t + 1: a view shows which tokens it kept and where. */
    static float[] ramp() {
        float[] x = new float[T];
        for (int t = 0; t < T; t++) x[t] = t + 1;
        return x;
    }

    @Test
    void withEverythingOffAViewIsTheSampleItself() {
        float[] out = new float[T];
        new TokenViews(settings(1, 0, 0), T).view(ramp(), new SplittableRandom(1), out);
        assertThat(out).containsExactly(ramp());
    }

    /**
     * A window is a run of consecutive ids, as they are (no interpolation), moved to the front,
     * at least the smallest fraction long, the rest the pad id; windows start in different places.
     */
    @Test
    void aWindowIsConsecutiveIdsAtTheFrontThenPadding() {
        TokenViews views = new TokenViews(settings(0.4, 0, 0), T);
        SplittableRandom rnd = new SplittableRandom(7);
        java.util.Set<Float> starts = new java.util.HashSet<>();
        int shortest = T;
        for (int v = 0; v < 200; v++) {
            float[] out = new float[T];
            views.view(ramp(), rnd, out);
            int length = 0;
            while (length < T && out[length] != PAD) length++;
            for (int t = 1; t < length; t++) assertThat(out[t]).isEqualTo(out[t - 1] + 1);
            for (int t = length; t < T; t++) assertThat(out[t]).isEqualTo((float) PAD);
            assertThat(length).isGreaterThanOrEqualTo((int) Math.round(0.4 * T));
            shortest = Math.min(shortest, length);
            starts.add(out[0]);
        }
        assertThat(shortest).isLessThan(T * 3 / 5);
        assertThat(starts.size()).isGreaterThan(10);
    }

    /** Masking and replacement hit about their share of the tokens; replacements are ids of the vocabulary. */
    @Test
    void masksAndReplacementsComeAtTheirRates() {
        TokenViews views = new TokenViews(settings(1, 0.15, 0.1), T);
        SplittableRandom rnd = new SplittableRandom(3);
        int masked = 0;
        int replaced = 0;
        int n = 0;
        for (int v = 0; v < 400; v++) {
            float[] out = new float[T];
            views.view(ramp(), rnd, out);
            for (int t = 0; t < T; t++) {
                n++;
                if (out[t] == PAD) {
                    masked++;
                } else if (out[t] != t + 1) {
                    replaced++;
                    assertThat(out[t]).isBetween(0f, VOCAB - 1f).isEqualTo((float) Math.round(out[t]));
                }
            }
        }
        assertThat(masked / (double) n).isCloseTo(0.15, within(0.02));
        // A replacement that draws the token's own id goes unseen: 1 in a thousand.
        assertThat(replaced / (double) n).isCloseTo(0.1, within(0.02));
    }

    @Test
    void theSameGeneratorGivesTheSameView() {
        TokenViews views = new TokenViews(settings(0.5, 0.15, 0.05), T);
        float[] a = new float[T];
        float[] b = new float[T];
        views.view(ramp(), new SplittableRandom(11), a);
        views.view(ramp(), new SplittableRandom(11), b);
        assertThat(a).containsExactly(b);
    }
}
