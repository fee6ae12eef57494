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
        SegmentPairs pairs = new SegmentPairs(T, F);
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

    /** Token ids are cut, not resampled: each segment's ids as they are, then the pad id. */
    @Test
    void tokenSegmentsAreTheIdsThemselvesThenPadding() {
        float[] x = new float[T];
        for (int t = 0; t < T; t++) x[t] = t + 1;
        SegmentPairs pairs = SegmentPairs.tokens(T, 0);
        float[] a = new float[T];
        float[] b = new float[T];
        for (int seed = 0; seed < 50; seed++) {
            int target = pairs.build(x, new SplittableRandom(seed), a, b);
            float[] earlier = target == 0 ? a : b;
            float[] later = target == 0 ? b : a;
            int cut = 0;
            while (earlier[cut] != 0) cut++;
            for (int t = 0; t < cut; t++) assertThat(earlier[t]).isEqualTo(t + 1f);
            for (int t = 0; t < T - cut; t++) assertThat(later[t]).isEqualTo(cut + t + 1f);
            for (int t = T - cut; t < T; t++) assertThat(later[t]).isZero();
            assertThat(cut).isBetween((int) Math.ceil(0.3 * T), (int) Math.floor(0.7 * T));
        }
    }

    /**
     * A mixed pair: the earlier segment of one sample and the later segment of the other, each cut
     * in [0.3 T, 0.7 T], in either order, with the third class as its target; each sample gives
     * the earlier segment about half of the time.
     */
    @Test
    void aMixedPairIsOneSamplesEarlierSegmentAndTheOthersLaterOne() {
        float[] x = new float[T * F];
        float[] y = new float[T * F];
        for (int t = 0; t < T; t++) {
            for (int j = 0; j < F; j++) {
                x[t * F + j] = t;
                y[t * F + j] = 1000 + t;
            }
        }
        SegmentPairs pairs = new SegmentPairs(T, F);
        float[] a = new float[T * F];
        float[] b = new float[T * F];
        int xEarlier = 0;
        int swapped = 0;
        for (int seed = 0; seed < 200; seed++) {
            assertThat(pairs.buildMixed(x, y, new SplittableRandom(seed), a, b)).isEqualTo(SegmentPairs.OTHER);
            // The earlier segment starts at step 0 of its sample, the later one ends at step T - 1 of its own.
            boolean aEarlier = a[0] % 1000 == 0;
            float[] earlier = aEarlier ? a : b;
            float[] later = aEarlier ? b : a;
            assertThat(earlier[0] % 1000).isZero();
            assertThat(later[(T - 1) * F] % 1000).isEqualTo(T - 1f);
            boolean earlierFromX = earlier[0] < 1000;
            assertThat(later[0] < 1000).as("the later segment is the other sample's").isNotEqualTo(earlierFromX);
            assertThat((double) earlier[(T - 1) * F] % 1000 + 1).isBetween(0.3 * T - 1e-6, 0.7 * T + 1e-6);
            assertThat((double) later[0] % 1000).isBetween(0.3 * T - 1e-6, 0.7 * T + 1e-6);
            if (earlierFromX) xEarlier++;
            if (!aEarlier) swapped++;
        }
        assertThat(xEarlier).isBetween(70, 130);
        assertThat(swapped).isBetween(70, 130);
    }
}
