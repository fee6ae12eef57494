package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ColorAugmenterTest {
    static final int H = 12;
    static final int W = 10;

    static ViewSettings settings(double crop, double flip, double jitter, double saturation, double hue, double jitterP,
            double grayP, double blurP) {
        return new ViewSettings(crop, flip, jitter, 0, 0.5f, 0.25f, 42, saturation, hue, jitterP, grayP, blurP);
    }

    static float[] image(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[H * W * 3];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextDouble();
        return v;
    }

    @Test
    void aSamplesViewsAreTheSameOnEveryReplayAndDifferBetweenSamplesAndViews() {
        ColorAugmenter aug = new ColorAugmenter(settings(0.2, 0.5, 0.4, 0.4, 0.1, 0.8, 0.2, 0.5));
        float[] img = image(1);
        float[][] views = new float[4][H * W * 3];
        SplittableRandom r1 = aug.randomFor("sample-7");
        aug.augment(img, H, W, r1, views[0]);
        aug.augment(img, H, W, r1, views[1]);
        SplittableRandom r2 = aug.randomFor("sample-7");
        aug.augment(img, H, W, r2, views[2]);
        aug.augment(img, H, W, aug.randomFor("sample-8"), views[3]);
        assertThat(views[2]).isEqualTo(views[0]);
        assertThat(views[1]).isNotEqualTo(views[0]);
        assertThat(views[3]).isNotEqualTo(views[0]);
    }

    @Test
    void withEveryStepOffAViewIsTheNormalisedImage() {
        ColorAugmenter aug = new ColorAugmenter(settings(1.0, 0, 0, 0, 0, 0, 0, 0));
        float[] img = image(2);
        float[] view = new float[img.length];
        aug.augment(img, H, W, aug.randomFor("x"), view);
        for (int i = 0; i < img.length; i++) assertThat(view[i]).isCloseTo((img[i] - 0.5f) / 0.25f, Offset.offset(1e-5f));
    }

    @Test
    void grayscaleMakesTheChannelsEqualAndAFlipMirrorsTheRows() {
        float[] img = image(3);
        float[] gray = new float[img.length];
        new ColorAugmenter(settings(1.0, 0, 0, 0, 0, 0, 1, 0)).augment(img, H, W, new SplittableRandom(1), gray);
        for (int p = 0; p < H * W; p++) {
            assertThat(gray[3 * p]).isEqualTo(gray[3 * p + 1]).isEqualTo(gray[3 * p + 2]);
        }
        float[] flipped = new float[img.length];
        new ColorAugmenter(settings(1.0, 1, 0, 0, 0, 0, 0, 0)).augment(img, H, W, new SplittableRandom(1), flipped);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                for (int c = 0; c < 3; c++) {
                    assertThat(flipped[(y * W + x) * 3 + c]).isCloseTo((img[(y * W + W - 1 - x) * 3 + c] - 0.5f) / 0.25f, Offset.offset(1e-5f));
                }
            }
        }
    }

    /** Hue jitter turns colours around the wheel and keeps gray pixels gray; saturation 0 is gray. */
    @Test
    void hueJitterRotatesColoursAndSparesGrays() {
        float[] img = new float[H * W * 3];
        for (int p = 0; p < H * W; p++) {
            boolean red = p % 2 == 0;
            img[3 * p] = red ? 0.9f : 0.4f;
            img[3 * p + 1] = red ? 0.1f : 0.4f;
            img[3 * p + 2] = red ? 0.1f : 0.4f;
        }
        float[] view = new float[img.length];
        // Hue up to half a turn, always applied, nothing else.
        new ColorAugmenter(settings(1.0, 0, 0, 0, 0.5, 1, 0, 0)).augment(img, H, W, new SplittableRandom(5), view);
        boolean moved = false;
        for (int p = 0; p < H * W; p++) {
            float r = view[3 * p] * 0.25f + 0.5f;
            float g = view[3 * p + 1] * 0.25f + 0.5f;
            float b = view[3 * p + 2] * 0.25f + 0.5f;
            if (p % 2 == 0) {
                moved |= Math.abs(r - 0.9f) > 0.05f;
                // Hue changes neither the brightest channel (value) nor the spread (chroma).
                assertThat(Math.max(r, Math.max(g, b))).isCloseTo(0.9f, Offset.offset(1e-4f));
                assertThat(Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b))).isCloseTo(0.8f, Offset.offset(1e-4f));
            } else {
                assertThat(r).isCloseTo(0.4f, Offset.offset(1e-5f));
                assertThat(g).isCloseTo(0.4f, Offset.offset(1e-5f));
                assertThat(b).isCloseTo(0.4f, Offset.offset(1e-5f));
            }
        }
        assertThat(moved).isTrue();
    }
}
