package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ViewAugmenterTest {
    private static final int H = 28;
    private static final int W = 28;
    private static final float MEAN = 0.25f;
    private static final float STD = 0.5f;

    private static ViewSettings settings(double crop, double flip, double jitter, double noise) {
        return new ViewSettings(crop, flip, jitter, noise, MEAN, STD, 42);
    }

    /** A non-symmetric test image: a gradient plus a bright block in the upper left. */
    private static float[] image() {
        float[] img = new float[H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                img[y * W + x] = 0.2f + 0.5f * x / W + (x < 8 && y < 10 ? 0.25f : 0f);
            }
        }
        return img;
    }

    private static float[] view(ViewAugmenter aug, String id, float[] img) {
        float[] out = new float[H * W];
        aug.augment(img, H, W, aug.randomFor(id), out);
        return out;
    }

    private static float[] unnormalise(float[] v) {
        float[] p = new float[v.length];
        for (int i = 0; i < v.length; i++) p[i] = v[i] * STD + MEAN;
        return p;
    }

    @Test
    void viewPairsAreReproducibleFromTheSampleIdAndDifferAcrossIdsAndBetweenTheTwoViews() {
        ViewAugmenter aug = new ViewAugmenter(settings(0.4, 0.5, 0.4, 0.02));
        float[] img = image();
        SplittableRandom r1 = aug.randomFor("sample-7");
        SplittableRandom r2 = aug.randomFor("sample-7");
        float[] a1 = new float[H * W], b1 = new float[H * W], a2 = new float[H * W], b2 = new float[H * W];
        aug.augment(img, H, W, r1, a1);
        aug.augment(img, H, W, r1, b1);
        aug.augment(img, H, W, r2, a2);
        aug.augment(img, H, W, r2, b2);
        assertThat(a2).containsExactly(a1);
        assertThat(b2).containsExactly(b1);
        assertThat(Arrays.equals(a1, b1)).as("the two views of a sample differ").isFalse();
        assertThat(Arrays.equals(view(aug, "sample-7", img), view(aug, "sample-8", img))).isFalse();
        ViewAugmenter otherSeed = new ViewAugmenter(new ViewSettings(0.4, 0.5, 0.4, 0.02, MEAN, STD, 43));
        assertThat(Arrays.equals(view(aug, "sample-7", img), view(otherSeed, "sample-7", img))).isFalse();
    }

    @Test
    void withEveryAugmentationOffAViewIsTheNormalisedImage() {
        ViewAugmenter aug = new ViewAugmenter(settings(1.0, 0.0, 0.0, 0.0));
        float[] img = image();
        for (int s = 0; s < 20; s++) {
            float[] p = unnormalise(view(aug, "id" + s, img));
            for (int i = 0; i < p.length; i++) assertThat(p[i]).isCloseTo(img[i], within(1e-5f));
        }
    }

    @Test
    void flipProbabilityOneMirrorsEveryView() {
        ViewAugmenter aug = new ViewAugmenter(settings(1.0, 1.0, 0.0, 0.0));
        float[] img = image();
        float[] p = unnormalise(view(aug, "x", img));
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                assertThat(p[y * W + x]).isCloseTo(img[y * W + (W - 1 - x)], within(1e-5f));
            }
        }
    }

    @Test
    void cropsZoomIntoTheImageAndKeepValuesInRange() {
        ViewAugmenter aug = new ViewAugmenter(settings(0.2, 0.0, 0.0, 0.0));
        float[] img = image();
        int changed = 0;
        for (int s = 0; s < 50; s++) {
            float[] p = unnormalise(view(aug, "c" + s, img));
            double diff = 0;
            for (int i = 0; i < p.length; i++) {
                assertThat(p[i]).isBetween(0.2f - 1e-5f, 0.95f + 1e-5f); // interpolation stays within the source range
                diff += Math.abs(p[i] - img[i]);
            }
            if (diff / p.length > 0.01) changed++;
        }
        assertThat(changed).as("views that are a visible crop").isGreaterThan(40);
    }

    @Test
    void jitterScalesBrightnessWithinItsRange() {
        ViewAugmenter aug = new ViewAugmenter(settings(1.0, 0.0, 0.4, 0.0));
        float[] img = new float[H * W];
        Arrays.fill(img, 0.5f);
        int jittered = 0;
        for (int s = 0; s < 200; s++) {
            float[] p = unnormalise(view(aug, "j" + s, img));
            // A constant image keeps contrast 0, so only brightness acts: 0.5 × [0.6, 1.4].
            for (float v : p) assertThat(v).isCloseTo(p[0], within(1e-5f));
            assertThat(p[0]).isBetween(0.3f - 1e-5f, 0.7f + 1e-5f);
            if (Math.abs(p[0] - 0.5f) > 1e-4) jittered++;
        }
        // Jitter applies with probability 0.8.
        assertThat(jittered).isBetween(140, 185);
    }

    @Test
    void noiseHasTheConfiguredStandardDeviationAndNoBias() {
        double std = 0.05;
        ViewAugmenter aug = new ViewAugmenter(settings(1.0, 0.0, 0.0, std));
        float[] img = new float[H * W];
        Arrays.fill(img, 0.5f);
        double sum = 0;
        double sq = 0;
        int n = 0;
        for (int s = 0; s < 100; s++) {
            for (float v : unnormalise(view(aug, "n" + s, img))) {
                double d = v - 0.5;
                sum += d;
                sq += d * d;
                n++;
            }
        }
        double mean = sum / n;
        assertThat(mean).isCloseTo(0, within(0.001));
        assertThat(Math.sqrt(sq / n - mean * mean)).isCloseTo(std, within(std * 0.02));
    }

    @Test
    void theNormalTableIsAStandardNormal() {
        float[] t = ViewAugmenter.NORMAL_TABLE;
        double sum = 0;
        double sq = 0;
        for (float z : t) {
            sum += z;
            sq += z * z;
        }
        assertThat(sum / t.length).isCloseTo(0, within(1e-6));
        assertThat(Math.sqrt(sq / t.length)).isCloseTo(1, within(0.01));
        assertThat(ViewAugmenter.inverseNormal(0.975)).isCloseTo(1.959964, within(1e-5));
        assertThat(ViewAugmenter.inverseNormal(0.5)).isCloseTo(0, within(1e-6));
    }

    /**
     * The separable sampling (each source row interpolated once, then rows blended) gives exactly
     * the direct four-tap bilinear formula, per pixel, on the crop and flip that the sample's
     * generator draws.
     */
    @Test
    void cropSamplingEqualsTheDirectFourTapBilinearFormula() {
        ViewAugmenter aug = new ViewAugmenter(settings(0.2, 0.5, 0, 0));
        float[] img = new float[H * W];
        SplittableRandom pixels = new SplittableRandom(3);
        for (int i = 0; i < img.length; i++) img[i] = pixels.nextFloat();
        for (int k = 0; k < 200; k++) {
            String id = "bilinear-" + k;
            float[] expected = fourTap(img, aug.randomFor(id), 0.2, 0.5);
            assertThat(view(aug, id, img)).as(id).containsExactly(expected);
        }
    }

    /** Crop and flip drawn as torchvision does, then four taps per output pixel, normalised. */
    private static float[] fourTap(float[] src, SplittableRandom rnd, double minScale, double flipP) {
        double cw = W;
        double ch = H;
        double x0 = 0;
        double y0 = 0;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = H * W * (minScale + rnd.nextDouble() * (1 - minScale));
            double ratio = Math.exp(Math.log(3.0 / 4.0) + rnd.nextDouble() * (Math.log(4.0 / 3.0) - Math.log(3.0 / 4.0)));
            double tw = Math.round(Math.sqrt(target * ratio));
            double th = Math.round(Math.sqrt(target / ratio));
            if (tw > 0 && th > 0 && tw <= W && th <= H) {
                cw = tw;
                ch = th;
                x0 = rnd.nextInt((int) (W - tw) + 1);
                y0 = rnd.nextInt((int) (H - th) + 1);
                break;
            }
        }
        boolean flip = rnd.nextDouble() < flipP;
        float sx = (float) (cw / W);
        float sy = (float) (ch / H);
        float[] out = new float[H * W];
        for (int y = 0; y < H; y++) {
            float fy = Math.min(Math.max((float) y0 + (y + 0.5f) * sy - 0.5f, 0f), H - 1);
            int iy = (int) fy;
            float wy = fy - iy;
            int iy1 = Math.min(iy + 1, H - 1);
            for (int x = 0; x < W; x++) {
                float fx = Math.min(Math.max((float) x0 + (x + 0.5f) * sx - 0.5f, 0f), W - 1);
                int ix = (int) fx;
                float wx = fx - ix;
                int ix1 = Math.min(ix + 1, W - 1);
                float t = src[iy * W + ix] + (src[iy * W + ix1] - src[iy * W + ix]) * wx;
                float b = src[iy1 * W + ix] + (src[iy1 * W + ix1] - src[iy1 * W + ix]) * wx;
                int ox = flip ? W - 1 - x : x;
                out[y * W + ox] = (t + (b - t) * wy - MEAN) * (1f / STD);
            }
        }
        return out;
    }

    /**
     * The vector passes give the scalar passes' bits: crops, flips, both jitter orders and the
     * noise window, for 28-pixel rows (whole vectors plus one that overlaps) and 32-pixel rows
     * (whole vectors only), on images with values in [0, 1].
     */
    @Test
    void vectorPassesGiveTheScalarPassesBits() {
        assertThat(ViewAugmenter.VECTOR).as("the tests run with the Vector API module").isTrue();
        ViewSettings s = settings(0.2, 0.5, 0.4, 0.05);
        ViewAugmenter vector = new ViewAugmenter(s, true);
        ViewAugmenter scalar = new ViewAugmenter(s, false);
        SplittableRandom pixels = new SplittableRandom(11);
        for (int[] hw : new int[][] {{28, 28}, {24, 32}, {9, 12}}) {
            int h = hw[0];
            int w = hw[1];
            for (int k = 0; k < 300; k++) {
                float[] img = new float[h * w];
                for (int i = 0; i < img.length; i++) img[i] = pixels.nextInt(256) / 255f;
                String id = "v" + h + "x" + w + "-" + k;
                float[] got = new float[h * w];
                float[] expected = new float[h * w];
                SplittableRandom rv = vector.randomFor(id);
                SplittableRandom rs = scalar.randomFor(id);
                for (int view = 0; view < 2; view++) {
                    vector.augment(img, h, w, rv, got);
                    scalar.augment(img, h, w, rs, expected);
                    assertThat(got).as("%s view %d", id, view).containsExactly(expected);
                }
            }
        }
    }

    /** A non-ASCII id seeds from its UTF-8 bytes, as an ASCII id from its chars. */
    @Test
    void idsHashTheirUtf8Bytes() {
        ViewAugmenter aug = new ViewAugmenter(settings(0.4, 0.5, 0.4, 0.02));
        for (String id : new String[] {"plain-id", "größe/ü", "画像-7", "emoji-\uD83D\uDE00"}) {
            long h = 0xcbf29ce484222325L;
            for (byte b : id.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                h ^= b;
                h *= 0x100000001b3L;
            }
            SplittableRandom expected = new SplittableRandom(h ^ (42 * 0x9E3779B97F4A7C15L));
            assertThat(aug.randomFor(id).nextLong()).as(id).isEqualTo(expected.nextLong());
        }
    }

    /** The noise pool holds the normal table's values, each equally often, so its moments are the table's. */
    @Test
    void theNoisePoolIsTheNormalTableShuffled() {
        float[] pool = ViewAugmenter.NOISE.clone();
        float[] table = ViewAugmenter.NORMAL_TABLE;
        assertThat(pool.length % table.length).isZero();
        float[] expected = new float[pool.length];
        for (int i = 0; i < expected.length; i++) expected[i] = table[i % table.length];
        Arrays.sort(pool);
        Arrays.sort(expected);
        assertThat(pool).containsExactly(expected);
        // Shuffled: neighbours are not in table order.
        int ordered = 0;
        for (int i = 1; i < ViewAugmenter.NOISE.length; i++) if (ViewAugmenter.NOISE[i] > ViewAugmenter.NOISE[i - 1]) ordered++;
        assertThat((double) ordered / ViewAugmenter.NOISE.length).isBetween(0.45, 0.55);
    }
}
