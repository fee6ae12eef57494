package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Per-channel input normalisation: every view kind that takes it (colour images, sequences,
 * vectors, patch pairs) normalises value {@code i} with the statistics of its channel; statistics
 * equal for every channel give the same bits as the scalar mean and std.
 */
class ChannelStatsTest {
    static final ChannelStats RGB = new ChannelStats(new float[] {0.2f, 0.5f, 0.7f}, new float[] {0.1f, 0.3f, 0.25f});

    static ChannelStats features(int f) {
        float[] m = new float[f];
        float[] s = new float[f];
        for (int j = 0; j < f; j++) {
            m[j] = 10 * j;
            s[j] = 1 + j;
        }
        return new ChannelStats(m, s);
    }

    static float[] random(int n, long seed, float scale) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextDouble() * scale;
        return v;
    }

    @Test
    void aColourViewWithEveryStepOffIsTheImageNormalisedPerChannel() {
        ViewSettings s = new ViewSettings(1.0, 0, 0, 0, 0.5f, 0.25f, 42, 0, 0, 0, 0, 0).withChannelStats(RGB);
        float[] img = random(8 * 6 * 3, 1, 1);
        float[] view = new float[img.length];
        ColorAugmenter aug = new ColorAugmenter(s);
        aug.augment(img, 8, 6, aug.randomFor("x"), view);
        for (int i = 0; i < img.length; i++) {
            int c = i % 3;
            assertThat(view[i]).isCloseTo((img[i] - RGB.mean(c)) / RGB.std(c), within(1e-5f));
        }
    }

    @Test
    void aSequenceViewWithEverythingOffIsTheSequenceNormalisedPerFeature() {
        int t = 9;
        int f = 4;
        ViewSettings s = new ViewSettings(1, 0.5, 0.4, 0, 0f, 1f, 42).withSequenceViews(0, 0).withChannelStats(features(f));
        float[] x = random(t * f, 2, 50);
        float[] out = new float[t * f];
        new SequenceViews(s, t, f).view(x, new SplittableRandom(1), out);
        for (int i = 0; i < t * f; i++) {
            assertThat(out[i]).isCloseTo((x[i] - 10 * (i % f)) / (1 + i % f), within(1e-4f));
        }
    }

    /** Vectors: each feature its own mean and std; Gaussian noise stays in the samples' units, so each feature's noise is noise-std over its std. */
    @Test
    void vectorViewsNormaliseEachFeatureAndScaleTheNoiseByItsStd() {
        int f = 4;
        ViewSettings clean = new ViewSettings(0.6, 0.5, 0.4, 0, 0f, 1f, 42).withVectorViews(0, 0).withChannelStats(features(f));
        float[][] batch = {random(f, 3, 40), random(f, 4, 40)};
        float[] a = new float[f];
        float[] b = new float[f];
        new VectorViews(clean, f).pair(batch, 2, 0, new SplittableRandom(5), a, b);
        for (int j = 0; j < f; j++) {
            assertThat(a[j]).isCloseTo((batch[0][j] - 10 * j) / (1 + j), within(1e-5f));
            assertThat(b[j]).isEqualTo(a[j]);
        }
        ViewSettings noisy = new ViewSettings(0.6, 0.5, 0.4, 0.5, 0f, 1f, 42).withVectorViews(0, 0).withChannelStats(features(f));
        VectorViews views = new VectorViews(noisy, f);
        double[] ss = new double[f];
        int draws = 4000;
        for (int k = 0; k < draws; k++) {
            views.pair(batch, 2, 0, new SplittableRandom(k), a, b);
            for (int j = 0; j < f; j++) ss[j] += Math.pow(a[j] - (batch[0][j] - 10 * j) / (1 + j), 2);
        }
        for (int j = 0; j < f; j++) assertThat(Math.sqrt(ss[j] / draws)).isCloseTo(0.5 / (1 + j), within(0.03 / (1 + j)));
    }

    @Test
    void patchPairsNormaliseEachChannel() {
        PatchPairs p = new PatchPairs(3, 24, 24, 0.05, 0.0, RGB);
        float[] img = new float[24 * 24 * 3];
        for (int i = 0; i < img.length; i++) img[i] = 0.1f * (i % 3) + 0.3f;
        float[] a = new float[img.length];
        float[] b = new float[img.length];
        p.build(img, new SplittableRandom(3), a, b);
        for (int i = 0; i < a.length; i++) {
            int c = i % 3;
            float expected = (0.1f * c + 0.3f - RGB.mean(c)) / RGB.std(c);
            assertThat(a[i]).isCloseTo(expected, within(1e-4f));
            assertThat(b[i]).isCloseTo(expected, within(1e-4f));
        }
    }

    /** The same statistics for every channel are the scalar normalisation, bit for bit, on every view kind. */
    @Test
    void uniformStatisticsGiveTheScalarViewsBitForBit() {
        ViewSettings scalar = new ViewSettings(0.4, 0.5, 0.4, 0.05, 0.45f, 0.3f, 42, 0.4, 0.1, 0.8, 0.2, 0.5, 0.6, 0.1, 0.2, 0.2);
        float[] img = random(10 * 10 * 3, 6, 1);
        float[][] viewsOf = new float[2][img.length];
        for (int k = 0; k < 2; k++) {
            ViewSettings s = k == 0 ? scalar : scalar.withChannelStats(ChannelStats.uniform(3, 0.45f, 0.3f));
            ColorAugmenter aug = new ColorAugmenter(s);
            aug.augment(img, 10, 10, aug.randomFor("y"), viewsOf[k]);
        }
        assertThat(viewsOf[1]).isEqualTo(viewsOf[0]);

        float[] seq = random(12 * 5, 7, 1);
        float[][] seqViews = new float[2][seq.length];
        for (int k = 0; k < 2; k++) {
            ViewSettings s = k == 0 ? scalar : scalar.withChannelStats(ChannelStats.uniform(5, 0.45f, 0.3f));
            new SequenceViews(s, 12, 5).view(seq, new SplittableRandom(8), seqViews[k]);
        }
        assertThat(seqViews[1]).isEqualTo(seqViews[0]);

        float[][] batch = {random(30, 9, 1), random(30, 10, 1), random(30, 11, 1)};
        float[][][] vec = new float[2][2][30];
        for (int k = 0; k < 2; k++) {
            ViewSettings s = k == 0 ? scalar : scalar.withChannelStats(ChannelStats.uniform(30, 0.45f, 0.3f));
            new VectorViews(s, 30).pair(batch, 3, 1, new SplittableRandom(12), vec[k][0], vec[k][1]);
        }
        assertThat(vec[1][0]).isEqualTo(vec[0][0]);
        assertThat(vec[1][1]).isEqualTo(vec[0][1]);
    }

    @Test
    void statisticsOfAnotherChannelCountAreRefused() {
        ViewSettings s = new ViewSettings(1, 0.5, 0.4, 0, 0f, 1f, 42).withChannelStats(features(4));
        assertThatThrownBy(() -> new SequenceViews(s, 10, 5)).hasMessageContaining("4 channels");
        assertThatThrownBy(() -> new ChannelStats(new float[] {0f, 1f}, new float[] {1f, 0f})).hasMessageContaining("channel 1");
    }
}
