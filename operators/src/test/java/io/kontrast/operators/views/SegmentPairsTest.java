package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SegmentPairsTest {
    static final int T = 30;
    static final int F = 2;

    /**
     * Step t of the ramp holds t in both features: a segment resampled to T steps runs from its
     * first step to its last, so each view names the steps it came from. In order, the first view
     * ends where the second begins; swapped, the reverse; and both orders come up.
     */
    @Test
    void theTwoViewsAreConsecutiveSegmentsAndTheTargetSaysTheirOrder() {
        float[] x = new float[T * F];
        for (int t = 0; t < T; t++) for (int j = 0; j < F; j++) x[t * F + j] = t;
        SegmentPairs pairs = new SegmentPairs(T, F, 0f, 1f);
        float[] a = new float[T * F];
        float[] b = new float[T * F];
        int swapped = 0;
        for (int seed = 0; seed < 200; seed++) {
            int target = pairs.build(x, new SplittableRandom(seed), a, b);
            assertThat(target).isIn(0, 1);
            float[] earlier = target == 0 ? a : b;
            float[] later = target == 0 ? b : a;
            assertThat(earlier[0]).isEqualTo(0f);
            assertThat(later[(T - 1) * F]).isEqualTo(T - 1f);
            // The cut: the earlier segment ends one step before the later one starts.
            assertThat((double) later[0] - earlier[(T - 1) * F]).isCloseTo(1.0, within(1e-4));
            double cut = later[0];
            assertThat(cut).isBetween(0.3 * T - 1e-6, 0.7 * T + 1e-6);
            for (int t = 1; t < T; t++) assertThat(earlier[t * F]).isGreaterThanOrEqualTo(earlier[(t - 1) * F]);
            swapped += target;
        }
        assertThat(swapped).isBetween(70, 130);
    }

    @Test
    void valuesAreNormalisedAsTheOtherViews() {
        float[] x = new float[T * F];
        java.util.Arrays.fill(x, 3f);
        float[] a = new float[T * F];
        float[] b = new float[T * F];
        new SegmentPairs(T, F, 1f, 4f).build(x, new SplittableRandom(1), a, b);
        assertThat(a).containsOnly(0.5f);
        assertThat(b).containsOnly(0.5f);
    }
}
