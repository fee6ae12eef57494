package io.kontrast.operators.views;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;

/**
 * MoCo v2's views of colour images, each step an option and each draw from the sample's own
 * generator (see {@link ViewAugmenter#randomFor}), so a sample's views are the same bit for bit on
 * every replay and restart:
 *
 * <ol>
 *   <li>a random resized crop: area {@code [crop-min-scale, 1]} of the image, aspect ratio 3/4 to
 *       4/3 (ten tries, then the whole image), resized bilinearly to the image's size;
 *   <li>a horizontal flip;
 *   <li>with probability {@code jitter-probability}, colour jitter in a random order: brightness
 *       and contrast (factors in {@code 1 ± jitter}), saturation ({@code 1 ± saturation}) and hue
 *       (a shift in {@code ±hue} of a turn), as torchvision's {@code ColorJitter};
 *   <li>grayscale with probability {@code grayscale-probability} (luma, ITU-R 601);
 *   <li>a Gaussian blur (σ in 0.1–2.0 pixels, scaled to the image) with probability {@code
 *       blur-probability};
 *   <li>normalisation with the input mean and std (per channel where they are given per channel).
 * </ol>
 *
 * <p>Images are interleaved RGB, (h, w, c) order, values in 0..1. One instance per thread.
 */
public final class ColorAugmenter {
    private final ViewSettings s;
    private final ChannelStats norm;
    private float[] tmp = new float[0];
    private float[] row = new float[0];

    public ColorAugmenter(ViewSettings settings) {
        this.s = settings;
        // Built for every image input; taken only for three channels.
        this.norm = settings.channelStats() == null || settings.channelStats().channels() == 3 ? settings.normalization(3) : null;
    }

    public SplittableRandom randomFor(String sampleId) {
        return ViewAugmenter.randomFor(sampleId, s.seed());
    }

    /** Writes one view of {@code src} ({@code h × w × 3}) into {@code dst}. */
    public void augment(float[] src, int h, int w, SplittableRandom rnd, float[] dst) {
        if (norm == null) throw new IllegalStateException("per-channel statistics of " + s.channelStats().channels() + " channels, not 3");
        int n = h * w * 3;
        crop(src, h, w, rnd, dst);
        if (rnd.nextDouble() < s.flipProbability()) {
            flip(dst, h, w);
        }
        if (rnd.nextDouble() < s.jitterProbability()) {
            double b = factor(rnd, s.jitter());
            double c = factor(rnd, s.jitter());
            double sat = factor(rnd, s.saturation());
            double hue = (rnd.nextDouble() * 2 - 1) * s.hue();
            int[] order = {0, 1, 2, 3};
            for (int i = 3; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int op : order) {
                switch (op) {
                    case 0 -> brightness(dst, n, b);
                    case 1 -> contrast(dst, n, c);
                    case 2 -> saturation(dst, n, sat);
                    default -> hue(dst, n, hue);
                }
            }
        }
        if (rnd.nextDouble() < s.grayscaleProbability()) {
            saturation(dst, n, 0);
        }
        if (s.blurProbability() > 0 && rnd.nextDouble() < s.blurProbability()) {
            // σ of 0.1–2.0 pixels at 224×224 (SimCLR's 10% kernel), scaled to this image.
            double sigma = (0.1 + rnd.nextDouble() * 1.9) * Math.min(h, w) / 224.0;
            blur(dst, h, w, sigma);
        }
        norm.normalize(dst, 0, n);
    }

    private static double factor(SplittableRandom rnd, double strength) {
        return Math.max(0, 1 + (rnd.nextDouble() * 2 - 1) * strength);
    }

    /** Random resized crop of {@code src} into {@code dst}, bilinear (pixel centres aligned). */
    private void crop(float[] src, int h, int w, SplittableRandom rnd, float[] dst) {
        double area = (double) h * w;
        double cw = w;
        double ch = h;
        double x0 = 0;
        double y0 = 0;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (s.cropMinScale() + rnd.nextDouble() * (1 - s.cropMinScale()));
            double ratio = Math.exp(Math.log(3.0 / 4) + rnd.nextDouble() * (Math.log(4.0 / 3) - Math.log(3.0 / 4)));
            double tw = Math.sqrt(target * ratio);
            double th = Math.sqrt(target / ratio);
            if (tw <= w && th <= h) {
                cw = tw;
                ch = th;
                x0 = rnd.nextDouble() * (w - tw);
                y0 = rnd.nextDouble() * (h - th);
                break;
            }
        }
        double sx = cw / w;
        double sy = ch / h;
        for (int y = 0; y < h; y++) {
            double fy = Math.min(Math.max(y0 + (y + 0.5) * sy - 0.5, 0), h - 1);
            int y1 = (int) fy;
            int y2 = Math.min(y1 + 1, h - 1);
            float wy = (float) (fy - y1);
            for (int x = 0; x < w; x++) {
                double fx = Math.min(Math.max(x0 + (x + 0.5) * sx - 0.5, 0), w - 1);
                int x1 = (int) fx;
                int x2 = Math.min(x1 + 1, w - 1);
                float wx = (float) (fx - x1);
                int a = (y1 * w + x1) * 3;
                int b = (y1 * w + x2) * 3;
                int c = (y2 * w + x1) * 3;
                int d = (y2 * w + x2) * 3;
                int o = (y * w + x) * 3;
                for (int k = 0; k < 3; k++) {
                    float top = src[a + k] + (src[b + k] - src[a + k]) * wx;
                    float bottom = src[c + k] + (src[d + k] - src[c + k]) * wx;
                    dst[o + k] = top + (bottom - top) * wy;
                }
            }
        }
    }

    private static void flip(float[] v, int h, int w) {
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w / 2; x++) {
                int a = (y * w + x) * 3;
                int b = (y * w + w - 1 - x) * 3;
                for (int k = 0; k < 3; k++) {
                    float t = v[a + k];
                    v[a + k] = v[b + k];
                    v[b + k] = t;
                }
            }
        }
    }

    private static float clip(double v) {
        return (float) Math.min(1, Math.max(0, v));
    }

    private static void brightness(float[] v, int n, double f) {
        for (int i = 0; i < n; i++) v[i] = clip(v[i] * f);
    }

    /** Blends with the mean luma of the image, as torchvision's {@code adjust_contrast}. */
    private static void contrast(float[] v, int n, double f) {
        double sum = 0;
        for (int i = 0; i < n; i += 3) sum += luma(v, i);
        double mean = sum / (n / 3);
        for (int i = 0; i < n; i++) v[i] = clip((v[i] - mean) * f + mean);
    }

    /** Blends each pixel with its own luma: 0 gives grayscale. */
    private static void saturation(float[] v, int n, double f) {
        for (int i = 0; i < n; i += 3) {
            double g = luma(v, i);
            for (int k = 0; k < 3; k++) v[i + k] = clip((v[i + k] - g) * f + g);
        }
    }

    private static double luma(float[] v, int i) {
        return 0.299 * v[i] + 0.587 * v[i + 1] + 0.114 * v[i + 2];
    }

    /** Rotates each pixel's hue by {@code shift} of a turn (through HSV). */
    private static void hue(float[] v, int n, double shift) {
        if (shift == 0) return;
        for (int i = 0; i < n; i += 3) {
            double r = v[i];
            double g = v[i + 1];
            double b = v[i + 2];
            double max = Math.max(r, Math.max(g, b));
            double min = Math.min(r, Math.min(g, b));
            double c = max - min;
            if (c <= 0) continue;
            double hh;
            if (max == r) hh = ((g - b) / c) / 6;
            else if (max == g) hh = ((b - r) / c + 2) / 6;
            else hh = ((r - g) / c + 4) / 6;
            hh = hh + shift;
            hh -= Math.floor(hh);
            double sat = c / max;
            double h6 = hh * 6;
            int sector = (int) h6 % 6;
            double f = h6 - Math.floor(h6);
            double p = max * (1 - sat);
            double q = max * (1 - sat * f);
            double t = max * (1 - sat * (1 - f));
            double nr;
            double ng;
            double nb;
            switch (sector) {
                case 0 -> { nr = max; ng = t; nb = p; }
                case 1 -> { nr = q; ng = max; nb = p; }
                case 2 -> { nr = p; ng = max; nb = t; }
                case 3 -> { nr = p; ng = q; nb = max; }
                case 4 -> { nr = t; ng = p; nb = max; }
                default -> { nr = max; ng = p; nb = q; }
            }
            v[i] = clip(nr);
            v[i + 1] = clip(ng);
            v[i + 2] = clip(nb);
        }
    }

    /** Separable Gaussian blur, radius 3σ, edges clamped. */
    private void blur(float[] v, int h, int w, double sigma) {
        int radius = Math.max(1, (int) Math.ceil(3 * sigma));
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.length; i++) k[i] /= sum;
        if (tmp.length < v.length) tmp = new float[v.length];
        if (row.length < 3 * Math.max(h, w)) row = new float[3 * Math.max(h, w)];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    double a = 0;
                    for (int j = -radius; j <= radius; j++) a += k[j + radius] * v[(y * w + Math.min(w - 1, Math.max(0, x + j))) * 3 + c];
                    tmp[(y * w + x) * 3 + c] = (float) a;
                }
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    double a = 0;
                    for (int j = -radius; j <= radius; j++) a += k[j + radius] * tmp[(Math.min(h - 1, Math.max(0, y + j)) * w + x) * 3 + c];
                    v[(y * w + x) * 3 + c] = (float) a;
                }
            }
        }
    }
}
