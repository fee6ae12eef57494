package io.kontrast.operators.views;

import io.kontrast.math.Permutations;
import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Builds augmented views of a grayscale image, MoCo v2 style:
 *
 * <ol>
 *   <li>random resized crop: area fraction in [cropMinScale, 1], aspect ratio in [3/4, 4/3],
 *       resized back to the input size with bilinear sampling;
 *   <li>horizontal flip with flipProbability;
 *   <li>with probability 0.8, brightness then contrast jitter, factors in [1 - j, 1 + j], in random
 *       order; values clipped to [0, 1];
 *   <li>Gaussian noise of noiseStd: a window of {@link #NOISE} (standard normal values) from a
 *       random offset, clipped to [0, 1];
 *   <li>normalisation {@code (x - mean) / std}.
 * </ol>
 *
 * <p>Each step's values are clipped to [0, 1], so a view is in [0, 1] before normalisation
 * whatever the settings.
 *
 * <p>The random generator is seeded from the sample id and the job seed, so a sample's view pair
 * is the same on every replay, worker and restart. An augmenter keeps working arrays between calls
 * and is not thread-safe: one per operator instance.
 */
public final class ViewAugmenter {
    private static final double LOG_MIN_RATIO = Math.log(3.0 / 4.0);
    private static final double LOG_MAX_RATIO = Math.log(4.0 / 3.0);

    /** Partial sums of the mean, one per lane of an 8-float vector, in both the vector and scalar passes. */
    static final int LANES = 8;

    /**
     * Whether this JVM has the Vector API module ({@code --add-modules=jdk.incubator.vector},
     * which the launcher, the tests and the deployments pass) and 256-bit vectors; if not, the
     * scalar passes run, with the same results.
     */
    static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && Vector.wideEnough();

    private final ViewSettings s;
    private final boolean vector;
    private final float mean;
    private final float inv;
    // Working arrays, reused between calls: an augmenter belongs to one thread.
    private int[] colTap = new int[0];
    private int[] colTap1 = new int[0];
    private float[] colWeight = new float[0];
    private int[] rowTap = new int[0];
    private float[] rowWeight = new float[0];
    private float[] rows = new float[0];
    private final float[] lanes = new float[LANES];

    public ViewAugmenter(ViewSettings settings) {
        this(settings, VECTOR);
    }

    /** With {@code vector} false, the scalar passes even where the Vector API is available. */
    ViewAugmenter(ViewSettings settings, boolean vector) {
        this.s = settings;
        this.vector = vector;
        // Gray images have one channel: a one-channel statistic is the scalar one.
        ChannelStats one = settings.channelStats() != null && settings.channelStats().channels() == 1 ? settings.channelStats() : null;
        this.mean = one != null ? one.mean(0) : settings.inputMean();
        this.inv = one != null ? one.inv(0) : 1f / settings.inputStd();
    }

    /**
     * The generator for a sample: a 64-bit FNV-1a hash of the id's UTF-8 bytes mixed with the
     * seed. An ASCII id (the usual case) is hashed from its chars, which are those bytes.
     */
    public SplittableRandom randomFor(String sampleId) {
        return randomFor(sampleId, s.seed());
    }

    /** The generator for a sample id and a seed (see {@link #randomFor(String)}). */
    public static SplittableRandom randomFor(String sampleId, long seed) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0, len = sampleId.length(); i < len; i++) {
            char c = sampleId.charAt(i);
            if (c >= 0x80) {
                return new SplittableRandom(fnv(sampleId.getBytes(StandardCharsets.UTF_8)) ^ (seed * 0x9E3779B97F4A7C15L));
            }
            h ^= c;
            h *= 0x100000001b3L;
        }
        return new SplittableRandom(h ^ (seed * 0x9E3779B97F4A7C15L));
    }

    private static long fnv(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h ^= b;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** Writes one view of {@code src} ({@code h × w}, values in 0..1) into {@code dst}. */
    public void augment(float[] src, int h, int w, SplittableRandom rnd, float[] dst) {
        // Every random draw comes first, in a fixed order, then the arithmetic.
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
        // 2. Flip.
        boolean flip = rnd.nextDouble() < s.flipProbability();
        // 3. Jitter: brightness then contrast, or contrast then brightness. Brightness first is
        // applied while the crop is written, contrast (and brightness after it) in the last pass;
        // factors of 1 leave a pass's arithmetic exact.
        float brightnessFirst = 1f;
        float contrast = 1f;
        float brightnessAfter = 1f;
        if (s.jitter() > 0 && rnd.nextDouble() < 0.8) {
            float brightness = (float) (1 + (rnd.nextDouble() * 2 - 1) * s.jitter());
            contrast = (float) (1 + (rnd.nextDouble() * 2 - 1) * s.jitter());
            if (rnd.nextBoolean()) brightnessFirst = brightness;
            else brightnessAfter = brightness;
        }
        // 4. Noise: a window of the Gaussian pool, from a random offset (wrapping around).
        float std = (float) s.noiseStd();
        int noiseAt = std > 0 ? rnd.nextInt() & (NOISE.length - 1) : 0;

        int n = h * w;
        scratch(h, w);
        // Bilinear sampling, separably: the taps of each output column (the flip folds into them)
        // and row once, then every source row the crop reads is interpolated horizontally once
        // (2 gathers per pixel), then each output row blends two of those rows. Same arithmetic,
        // in the same order, as blending 4 taps per pixel.
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
        // The source rows the crop reads, each interpolated horizontally (2 gathers per pixel).
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
        boolean vector = this.vector && w >= LANES;
        float sum = vector
                ? Vector.blendRows(h, w, rowTap, rowWeight, rows, brightnessFirst, dst, lanes)
                : blendRowsScalar(h, w, brightnessFirst, dst);
        // Contrast blends each pixel with the view's mean: v c + mean (1 - c).
        float shift = sum / n * (1 - contrast);
        float mean0 = mean;
        for (int i = 0, at = noiseAt; i < n; at = 0) {
            int to = Math.min(n, i + NOISE.length - at);
            if (vector) Vector.finish(dst, i, to, at - i, contrast, shift, brightnessAfter, std, mean0, inv);
            else finishScalar(dst, i, to, at - i, contrast, shift, brightnessAfter, std, mean0, inv);
            i = to;
        }
    }

    /**
     * Each output row of the crop, blended from two interpolated source rows, written to {@code
     * dst} as {@code clip(v × brightness)}; returns the sum of the written values, accumulated in
     * {@link #LANES} partial sums in the order {@link Vector#blendRows} uses, so that both give the
     * same bits.
     */
    private float blendRowsScalar(int h, int w, float brightness, float[] dst) {
        int firstRow = rowTap[0];
        float[] acc = lanes;
        java.util.Arrays.fill(acc, 0f);
        int whole = w - w % LANES;
        for (int y = 0; y < h; y++) {
            int top = (rowTap[y] - firstRow) * w;
            int bottom = (Math.min(rowTap[y] + 1, h - 1) - firstRow) * w;
            float wy = rowWeight[y];
            int row = y * w;
            for (int x = 0; x < w; x++) {
                float t = rows[top + x];
                float v = clip((t + (rows[bottom + x] - t) * wy) * brightness);
                dst[row + x] = v;
                acc[x < whole ? x % LANES : x - (w - LANES)] += v;
            }
        }
        return reduce(acc);
    }

    /**
     * The last pass over {@code dst[from, to)}: contrast, brightness, noise {@code NOISE[i +
     * noiseShift]}, each clipped to [0, 1], then normalisation.
     */
    private static void finishScalar(float[] dst, int from, int to, int noiseShift, float contrast, float shift,
            float brightness, float std, float mean0, float inv) {
        for (int i = from; i < to; i++) {
            float v = clip(clip(dst[i] * contrast + shift) * brightness);
            dst[i] = (clip(v + NOISE[i + noiseShift] * std) - mean0) * inv;
        }
    }

    /** The partial sums' total, in a fixed order. */
    private static float reduce(float[] acc) {
        return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
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
        }
    }

    /** Quantiles of the standard normal at (i + 0.5) / 4096: a table-driven Gaussian. */
    static final float[] NORMAL_TABLE = normalTable(4096);

    /**
     * The noise pool: {@link #NORMAL_TABLE} sixteen times over, in a fixed shuffled order. A view's
     * noise is a window of it from a random offset, so the noise pass reads it in order.
     */
    static final float[] NOISE = noisePool(16);

    private static float[] noisePool(int copies) {
        int[] order = Permutations.fill(new int[NORMAL_TABLE.length * copies], new SplittableRandom(0x6E6F697365L));
        float[] p = new float[order.length];
        for (int i = 0; i < p.length; i++) p[i] = NORMAL_TABLE[order[i] % NORMAL_TABLE.length];
        return p;
    }

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

    /**
     * The passes on 8-float vectors of the incubating Vector API, where this JVM has the module
     * and 256-bit vectors: the blends of the crop's rows, and the last pass, with the same
     * arithmetic in the same order as the scalar passes (the tests compare the two bit for bit).
     * A row of {@code w} pixels is covered by whole vectors from its start and, if {@code w} is
     * not a multiple of 8, one more vector ending at its end that overlaps the one before (it
     * writes the same values again; only its new lanes count towards the sum).
     */
    private static final class Vector {
        /** Eight 0s then eight 1s: from offset k, a vector with lanes k.. set. */
        private static final float[] TAIL_WEIGHTS = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};

        static boolean wideEnough() {
            return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
        }

        static float blendRows(int h, int w, int[] rowTap, float[] rowWeight, float[] rows, float brightness, float[] dst,
                float[] lanes) {
            VectorSpecies<Float> sp = FloatVector.SPECIES_256;
            int whole = w - w % LANES;
            int firstRow = rowTap[0];
            // The overlapping vector's new lanes (from whole - (w - LANES) on) count once: 1 there, else 0.
            FloatVector tail = FloatVector.fromArray(sp, TAIL_WEIGHTS, whole - (w - LANES));
            FloatVector acc = FloatVector.zero(sp);
            for (int y = 0; y < h; y++) {
                int top = (rowTap[y] - firstRow) * w;
                int bottom = (Math.min(rowTap[y] + 1, h - 1) - firstRow) * w;
                float wy = rowWeight[y];
                int row = y * w;
                for (int x = 0; x < whole; x += LANES) {
                    FloatVector v = blend(rows, top + x, bottom + x, wy, brightness);
                    v.intoArray(dst, row + x);
                    acc = acc.add(v);
                }
                if (whole < w) {
                    FloatVector v = blend(rows, top + w - LANES, bottom + w - LANES, wy, brightness);
                    v.intoArray(dst, row + w - LANES);
                    acc = acc.add(v.mul(tail));
                }
            }
            acc.intoArray(lanes, 0);
            return reduce(lanes);
        }

        /** {@code clip((t + (b - t) wy) × brightness)} for the rows at {@code top} and {@code bottom}. */
        private static FloatVector blend(float[] rows, int top, int bottom, float wy, float brightness) {
            FloatVector t = FloatVector.fromArray(FloatVector.SPECIES_256, rows, top);
            return t.add(FloatVector.fromArray(FloatVector.SPECIES_256, rows, bottom).sub(t).mul(wy)).mul(brightness)
                    .max(0f).min(1f);
        }

        static void finish(float[] dst, int from, int to, int noiseShift, float contrast, float shift, float brightness,
                float std, float mean0, float inv) {
            VectorSpecies<Float> sp = FloatVector.SPECIES_256;
            int i = from;
            for (; i + LANES <= to; i += LANES) {
                FloatVector v = FloatVector.fromArray(sp, dst, i).mul(contrast).add(shift).max(0f).min(1f)
                        .mul(brightness).max(0f).min(1f);
                v.add(FloatVector.fromArray(sp, NOISE, i + noiseShift).mul(std)).max(0f).min(1f)
                        .sub(mean0).mul(inv).intoArray(dst, i);
            }
            finishScalar(dst, i, to, noiseShift, contrast, shift, brightness, std, mean0, inv);
        }
    }
}
