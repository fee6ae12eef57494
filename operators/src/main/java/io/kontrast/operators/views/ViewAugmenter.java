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
 *   <li>Gaussian noise of noiseStd (the normal quantiles at 4,096 levels, drawn with 12 random
 *       bits per pixel), clipped to [0, 1];
 *   <li>normalisation {@code (x - mean) / std}.
 * </ol>
 *
 * <p>The random generator is seeded from the sample id and the job seed, so a sample's view pair
 * is the same on every replay, worker and restart. An augmenter keeps working arrays between calls
 * and is not thread-safe: one per operator instance.
 */
public final class ViewAugmenter {
    private static final double LOG_MIN_RATIO = Math.log(3.0 / 4.0);
    private static final double LOG_MAX_RATIO = Math.log(4.0 / 3.0);

    private final ViewSettings s;
    // Working arrays, reused between calls: an augmenter belongs to one thread.
    private int[] colTap = new int[0];
    private int[] colTap1 = new int[0];
    private float[] colWeight = new float[0];
    private int[] rowTap = new int[0];
    private float[] rowWeight = new float[0];
    private float[] rows = new float[0];
    private float[] noise = new float[0];

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
        int n = h * w;
        scratch(h, w);
        // Bilinear sampling, separably: the taps of each output column (the flip folds into them)
        // and row once, then every source row the crop reads is interpolated horizontally once
        // (2 gathers per pixel), then each output row blends two of those rows (a flat loop the
        // JIT vectorises). Same arithmetic, in the same order, as blending 4 taps per pixel.
        float sx = (float) (cw / w);
        float sy = (float) (ch / h);
        for (int x = 0; x < w; x++) {
            int ox = flip ? w - 1 - x : x;
            float fx = Math.min(Math.max((float) x0 + (x + 0.5f) * sx - 0.5f, 0f), w - 1);
            colTap[ox] = (int) fx;
            colTap1[ox] = Math.min((int) fx + 1, w - 1);
            colWeight[ox] = fx - (int) fx;
        }
        for (int y = 0; y < h; y++) {
            float fy = Math.min(Math.max((float) y0 + (y + 0.5f) * sy - 0.5f, 0f), h - 1);
            rowTap[y] = (int) fy;
            rowWeight[y] = fy - (int) fy;
        }
        int firstRow = rowTap[0];
        int lastRow = Math.min(rowTap[h - 1] + 1, h - 1);
        for (int r = firstRow; r <= lastRow; r++) {
            int in = r * w;
            int out = (r - firstRow) * w;
            for (int x = 0; x < w; x++) {
                float l = src[in + colTap[x]];
                rows[out + x] = l + (src[in + colTap1[x]] - l) * colWeight[x];
            }
        }
        for (int y = 0; y < h; y++) {
            int top = (rowTap[y] - firstRow) * w;
            int bottom = (Math.min(rowTap[y] + 1, h - 1) - firstRow) * w;
            float wy = rowWeight[y];
            int row = y * w;
            for (int x = 0; x < w; x++) {
                float t = rows[top + x];
                dst[row + x] = t + (rows[bottom + x] - t) * wy;
            }
        }
        // 3. Brightness and contrast jitter, in random order, each clipped. Contrast blends each
        // pixel with the image mean: v c + mean (1 - c).
        float inv = 1f / s.inputStd();
        float mean0 = s.inputMean();
        if (s.jitter() > 0 && rnd.nextDouble() < 0.8) {
            float brightness = (float) (1 + (rnd.nextDouble() * 2 - 1) * s.jitter());
            float contrast = (float) (1 + (rnd.nextDouble() * 2 - 1) * s.jitter());
            boolean brightnessFirst = rnd.nextBoolean();
            if (brightnessFirst) {
                for (int i = 0; i < n; i++) dst[i] = clip(dst[i] * brightness);
            }
            float mean = (float) (sum(dst, n) / n);
            float shift = mean * (1 - contrast);
            if (brightnessFirst) {
                for (int i = 0; i < n; i++) dst[i] = clip(dst[i] * contrast + shift);
            } else {
                for (int i = 0; i < n; i++) dst[i] = clip(clip(dst[i] * contrast + shift) * brightness);
            }
        }
        // 4. Noise, 5. normalisation.
        float std = (float) s.noiseStd();
        if (std > 0) {
            // Standard normal values by inverse-CDF lookup: 12 random bits per pixel, five pixels
            // per 64-bit draw. The lookups come first, so that adding, clipping and normalising
            // is one flat loop.
            float[] z = noise;
            for (int i = 0; i < n; ) {
                long bits = rnd.nextLong();
                for (int end = Math.min(i + 5, n); i < end; i++, bits >>>= 12) {
                    z[i] = NORMAL_TABLE[(int) bits & (NORMAL_TABLE.length - 1)];
                }
            }
            for (int i = 0; i < n; i++) dst[i] = (clip(dst[i] + z[i] * std) - mean0) * inv;
        } else {
            for (int i = 0; i < n; i++) dst[i] = (dst[i] - mean0) * inv;
        }
    }

    /** Sizes the working arrays for {@code h × w} images (kept between calls). */
    private void scratch(int h, int w) {
        if (colTap.length < w) {
            colTap = new int[w];
            colTap1 = new int[w];
            colWeight = new float[w];
        }
        if (rowTap.length < h) {
            rowTap = new int[h];
            rowWeight = new float[h];
        }
        if (rows.length < h * w) {
            rows = new float[h * w];
            noise = new float[h * w];
        }
    }

    /** The sum of {@code v[0..n)}, with four accumulators. */
    private static double sum(float[] v, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += v[i];
            s1 += v[i + 1];
            s2 += v[i + 2];
            s3 += v[i + 3];
        }
        for (; i < n; i++) s0 += v[i];
        return (s0 + s1) + (s2 + s3);
    }

    /** Quantiles of the standard normal at (i + 0.5) / 4096: a table-driven Gaussian. */
    static final float[] NORMAL_TABLE = normalTable(4096);

    private static float[] normalTable(int size) {
        float[] t = new float[size];
        for (int i = 0; i < size; i++) t[i] = (float) inverseNormal((i + 0.5) / size);
        return t;
    }

    /** Φ⁻¹(p) by bisection on erf-free Φ (Abramowitz–Stegun 26.2.17 is too coarse in the tails). */
    static double inverseNormal(double p) {
        double lo = -10;
        double hi = 10;
        for (int it = 0; it < 100; it++) {
            double mid = (lo + hi) / 2;
            if (normalCdf(mid) < p) lo = mid;
            else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /** Φ(x) from the complementary error function (Numerical Recipes' erfc, |error| < 1.2e-7). */
    static double normalCdf(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc / 2 : erfc / 2;
    }

    /** Clips to [0, 1] without a branch (a data-dependent branch mispredicts on image pixels). */
    private static float clip(float v) {
        return Math.min(Math.max(v, 0f), 1f);
    }
}
