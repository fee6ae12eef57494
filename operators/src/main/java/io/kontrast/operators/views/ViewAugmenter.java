package io.kontrast.operators.views;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Builds augmented views of a grayscale image, MoCo v2 style:
 *
 * <ol>
 *   <li>random resized crop: area fraction in [cropMinScale, 1], aspect ratio in [3/4, 4/3],
 *       resized back to the input size with bilinear sampling;
 *   <li>horizontal flip with flipProbability;
 *   <li>with probability 0.8, brightness then contrast jitter, factors in [1 - j, 1 + j], in random
 *       order; values clipped to [0, 1];
 *   <li>Gaussian noise of noiseStd, clipped to [0, 1];
 *   <li>normalisation {@code (x - mean) / std}.
 * </ol>
 *
 * <p>The random generator is seeded from the sample id and the job seed, so a sample's view pair
 * is the same on every replay, worker and restart.
 */
public final class ViewAugmenter {
    private static final double LOG_MIN_RATIO = Math.log(3.0 / 4.0);
    private static final double LOG_MAX_RATIO = Math.log(4.0 / 3.0);

    private final ViewSettings s;

    public ViewAugmenter(ViewSettings settings) {
        this.s = settings;
    }

    /** The generator for a sample: a 64-bit FNV-1a hash of the id mixed with the seed. */
    public SplittableRandom randomFor(String sampleId) {
        long h = 0xcbf29ce484222325L;
        for (byte b : sampleId.getBytes(StandardCharsets.UTF_8)) {
            h ^= b;
            h *= 0x100000001b3L;
        }
        return new SplittableRandom(h ^ (s.seed() * 0x9E3779B97F4A7C15L));
    }

    /** Writes one view of {@code src} ({@code h × w}, values in 0..1) into {@code dst}. */
    public void augment(float[] src, int h, int w, SplittableRandom rnd, float[] dst) {
        // 1. Random resized crop (torchvision's sampling, ten tries, else the whole image).
        double area = (double) h * w;
        double cw = w;
        double ch = h;
        double x0 = 0;
        double y0 = 0;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (s.cropMinScale() + rnd.nextDouble() * (1 - s.cropMinScale()));
            double ratio = Math.exp(LOG_MIN_RATIO + rnd.nextDouble() * (LOG_MAX_RATIO - LOG_MIN_RATIO));
            double tw = Math.round(Math.sqrt(target * ratio));
            double th = Math.round(Math.sqrt(target / ratio));
            if (tw > 0 && th > 0 && tw <= w && th <= h) {
                cw = tw;
                ch = th;
                x0 = rnd.nextInt((int) (w - tw) + 1);
                y0 = rnd.nextInt((int) (h - th) + 1);
                break;
            }
        }
        boolean flip = rnd.nextDouble() < s.flipProbability();
        double sx = cw / w;
        double sy = ch / h;
        for (int y = 0; y < h; y++) {
            double fy = Math.min(Math.max(y0 + (y + 0.5) * sy - 0.5, 0), h - 1);
            int iy = (int) fy;
            int iy1 = Math.min(iy + 1, h - 1);
            double wy = fy - iy;
            for (int x = 0; x < w; x++) {
                int ox = flip ? w - 1 - x : x;
                double fx = Math.min(Math.max(x0 + (x + 0.5) * sx - 0.5, 0), w - 1);
                int ix = (int) fx;
                int ix1 = Math.min(ix + 1, w - 1);
                double wx = fx - ix;
                double top = src[iy * w + ix] * (1 - wx) + src[iy * w + ix1] * wx;
                double bottom = src[iy1 * w + ix] * (1 - wx) + src[iy1 * w + ix1] * wx;
                dst[y * w + ox] = (float) (top * (1 - wy) + bottom * wy);
            }
        }
        int n = h * w;
        // 3. Brightness and contrast jitter, in random order.
        if (s.jitter() > 0 && rnd.nextDouble() < 0.8) {
            double brightness = 1 + (rnd.nextDouble() * 2 - 1) * s.jitter();
            double contrast = 1 + (rnd.nextDouble() * 2 - 1) * s.jitter();
            boolean brightnessFirst = rnd.nextBoolean();
            if (brightnessFirst) {
                scale(dst, n, brightness);
            }
            double mean = 0;
            for (int i = 0; i < n; i++) mean += dst[i];
            mean /= n;
            for (int i = 0; i < n; i++) {
                dst[i] = clip((float) ((dst[i] - mean) * contrast + mean));
            }
            if (!brightnessFirst) {
                scale(dst, n, brightness);
            }
        }
        // 4. Noise, 5. normalisation.
        float inv = 1f / s.inputStd();
        for (int i = 0; i < n; i++) {
            float v = dst[i];
            if (s.noiseStd() > 0) {
                v = clip((float) (v + rnd.nextGaussian() * s.noiseStd()));
            }
            dst[i] = (v - s.inputMean()) * inv;
        }
    }

    private static void scale(float[] a, int n, double f) {
        for (int i = 0; i < n; i++) a[i] = clip((float) (a[i] * f));
    }

    private static float clip(float v) {
        return v < 0 ? 0 : (v > 1 ? 1 : v);
    }
}
