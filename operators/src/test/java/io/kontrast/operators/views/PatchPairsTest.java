package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Context prediction's patch pairs: the second patch lies where its target says. */
class PatchPairsTest {
    static final int H = 28;
    static final int W = 28;

    /**
     * An RGB image, interleaved (h, w, c) as samples are, whose first channel is each pixel's row
     * and second its column (in 0..1), third 0.
     */
    static float[] coordinates() {
        float[] x = new float[3 * H * W];
        for (int r = 0; r < H; r++) {
            for (int c = 0; c < W; c++) {
                x[(r * W + c) * 3] = (r + 0.5f) / H;
                x[(r * W + c) * 3 + 1] = (c + 0.5f) / W;
            }
        }
        return x;
    }

    static double mean(float[] v, int channel) {
        double s = 0;
        for (int i = channel; i < v.length; i += 3) s += v[i];
        return s / (H * W);
    }

    /**
     * Without jitter, the second patch's centre is one cell (patch plus gap) from the first's in
     * the direction its position names; with jitter, within the jitter of that. A patch of a ramp
     * resized is the same ramp, so its mean is its centre's coordinate.
     */
    @Test
    void theSecondPatchLiesWhereItsPositionSays() {
        for (double jitterFraction : new double[] {0, 0.04}) {
            PatchPairs p = new PatchPairs(3, H, W, 0.05, jitterFraction, ChannelStats.uniform(3, 0f, 1f));
            assertThat(p.patchSize()).isGreaterThanOrEqualTo(7);
            float[] img = coordinates();
            float[] a = new float[img.length];
            float[] b = new float[img.length];
            int[] seen = new int[8];
            SplittableRandom rnd = new SplittableRandom(5);
            for (int trial = 0; trial < 400; trial++) {
                int position = p.build(img, rnd, a, b);
                seen[position]++;
                double dy = (mean(b, 0) - mean(a, 0)) * H;
                double dx = (mean(b, 1) - mean(a, 1)) * W;
                double cell = p.patchSize() + p.gap();
                double slack = 2 * p.jitter() + 0.01;
                assertThat(dy).as("rows, position %d", position)
                        .isCloseTo(PatchPairs.OFFSETS[position][0] * cell, Offset.offset(slack));
                assertThat(dx).as("columns, position %d", position)
                        .isCloseTo(PatchPairs.OFFSETS[position][1] * cell, Offset.offset(slack));
                assertThat(mean(a, 2)).isZero();
            }
            for (int k = 0; k < 8; k++) assertThat(seen[k]).as("position %d drawn", k).isBetween(25, 80);
        }
    }

    /** The pair is a function of the generator: the same seed gives the same patches and position. */
    @Test
    void theSameSeedGivesTheSamePair() {
        PatchPairs p = new PatchPairs(1, H, W, 0.05, 0.04, ChannelStats.uniform(1, 0.3f, 0.2f));
        float[] img = new float[H * W];
        new SplittableRandom(1).doubles(img.length).forEach(new java.util.function.DoubleConsumer() {
            int i;

            public void accept(double v) {
                img[i++] = (float) v;
            }
        });
        float[] a1 = new float[img.length];
        float[] b1 = new float[img.length];
        float[] a2 = new float[img.length];
        float[] b2 = new float[img.length];
        assertThat(p.build(img, new SplittableRandom(9), a1, b1)).isEqualTo(p.build(img, new SplittableRandom(9), a2, b2));
        assertThat(a2).containsExactly(a1);
        assertThat(b2).containsExactly(b1);
        assertThat(b1).isNotEqualTo(a1);
    }

    @Test
    void anImageTooSmallForTheGridIsRefused() {
        assertThatThrownBy(() -> new PatchPairs(1, 6, 6, 0.3, 0.2, ChannelStats.uniform(1, 0f, 1f))).hasMessageContaining("patches of");
    }
}
