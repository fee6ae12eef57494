package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SequenceViewsTest {
    static final int T = 40;
    static final int F = 3;
    static final float MEAN = 1f;
    static final float STD = 2f;

    static ViewSettings settings(double windowMin, double noise, double scaling, double timeMask) {
        return new ViewSettings(windowMin, 0.5, 0.4, noise, MEAN, STD, 42).withSequenceViews(scaling, timeMask);
    }

    /** Feature j of step t is {@code 100 j + t}: a ramp in time, so a window shows as an affine map of time. */
    static float[] ramp() {
        float[] x = new float[T * F];
        for (int t = 0; t < T; t++) for (int j = 0; j < F; j++) x[t * F + j] = 100 * j + t;
        return x;
    }

    @Test
    void withEverythingOffAViewIsTheSequenceNormalised() {
        float[] x = ramp();
        float[] out = new float[T * F];
        new SequenceViews(settings(1, 0, 0, 0), T, F).view(x, new SplittableRandom(1), out);
        for (int i = 0; i < T * F; i++) assertThat(out[i]).isCloseTo((x[i] - MEAN) / STD, within(1e-4f));
    }

    /**
     * A window of the ramp, resampled to T steps, is still a ramp in time: increasing, its slope
     * the window's length over T (at most 1, at least the smallest fraction), and inside the
     * original range; every feature is windowed alike.
     */
    @Test
    void aWindowIsAStretchOfTheSequenceResampledToItsLength() {
        float[] x = ramp();
        float[] out = new float[T * F];
        SequenceViews views = new SequenceViews(settings(0.5, 0, 0, 0), T, F);
        double shortest = 1;
        for (int seed = 0; seed < 50; seed++) {
            views.view(x, new SplittableRandom(seed), out);
            double first = out[0] * STD + MEAN;
            double last = out[(T - 1) * F] * STD + MEAN;
            double slope = (last - first) / (T - 1);
            assertThat(slope).isBetween(0.5 * (T - 2) / (T - 1) - 0.05, 1.0001);
            shortest = Math.min(shortest, slope);
            assertThat(first).isBetween(-0.001, T - 1.0);
            assertThat(last).isBetween(first, T - 1.0001 + 0.002);
            for (int t = 1; t < T; t++) {
                double v = out[t * F] * STD + MEAN;
                assertThat(v).isGreaterThanOrEqualTo(out[(t - 1) * F] * STD + MEAN - 1e-4);
                for (int j = 1; j < F; j++) assertThat(out[t * F + j] * STD + MEAN - 100 * j).isCloseTo((float) v, within(1e-3f));
            }
        }
        assertThat(shortest).as("some windows are short").isLessThan(0.75);
    }

    @Test
    void scalingNoiseAndTimeMasksActAsSet() {
        float[] x = ramp();
        float[] out = new float[T * F];
        // Scaling alone: one factor in [0.8, 1.2] for every value.
        new SequenceViews(settings(1, 0, 0.2, 0), T, F).view(x, new SplittableRandom(7), out);
        double factor = (out[5 * F + 2] * STD + MEAN) / x[5 * F + 2];
        assertThat(factor).isBetween(0.8, 1.2).isNotCloseTo(1.0, within(1e-6));
        for (int i = 1; i < T * F; i++) assertThat((double) (out[i] * STD + MEAN)).isCloseTo(x[i] * factor, within(1e-2));
        // A time mask: one run of whole steps at 0, at most 0.25 T long.
        int masked = 0;
        int longest = 0;
        for (int seed = 0; seed < 40; seed++) {
            new SequenceViews(settings(1, 0, 0, 0.25), T, F).view(x, new SplittableRandom(seed), out);
            int run = 0;
            int zeroSteps = 0;
            for (int t = 0; t < T; t++) {
                boolean zero = out[t * F] == 0 && out[t * F + 1] == 0 && out[t * F + 2] == 0;
                if (zero) zeroSteps++;
                run = zero ? run + 1 : 0;
                longest = Math.max(longest, run);
            }
            assertThat(zeroSteps).isLessThanOrEqualTo(10);
            masked += zeroSteps;
        }
        assertThat(masked).isPositive();
        assertThat(longest).isBetween(5, 10);
        // Noise in the features' units: noiseStd / std after normalisation.
        new SequenceViews(settings(1, 0.5, 0, 0), T, F).view(x, new SplittableRandom(3), out);
        double ss = 0;
        for (int i = 0; i < T * F; i++) ss += Math.pow(out[i] - (x[i] - MEAN) / STD, 2);
        assertThat(Math.sqrt(ss / (T * F))).isCloseTo(0.5 / STD, within(0.06));
    }
}
