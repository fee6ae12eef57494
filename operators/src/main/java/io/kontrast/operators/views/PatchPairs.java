package io.kontrast.operators.views;

import java.util.SplittableRandom;

/**
 * The views of context prediction (Doersch et al.): two patches of one image, the second in one of
 * the 8 cells around the first on a grid of square cells, with a gap between cells and a jitter of
 * each patch, so that edges and textures running across a boundary do not give the position away.
 * A patch is as large as a pair of cells allows, ⌊(side − gap − 2·jitter) / 2⌋, and the pair sits
 * anywhere it fits; each patch is resized (bilinear) to the full input size, so that the encoder
 * and the backbone it publishes stay those of the other objectives, and normalised as the other
 * views are.
 *
 * <p>Positions, the target of the pair: 0 above-left, 1 above, 2 above-right, 3 left, 4 right,
 * 5 below-left, 6 below, 7 below-right of the first patch.
 */
public final class PatchPairs {
    /** Positions around the centre cell, as (row, column) offsets. */
    static final int[][] OFFSETS = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}};

    private final int channels;
    private final int height;
    private final int width;
    private final int patch;
    private final int gap;
    private final int jitter;
    private final ChannelStats norm;
    private final float[] crop;

    /**
     * @param gapFraction the gap between cells, as a fraction of the image's shorter side
     * @param jitterFraction the largest shift of a patch, as a fraction of the shorter side
     */
    public PatchPairs(int channels, int height, int width, double gapFraction, double jitterFraction, ChannelStats norm) {
        int side = Math.min(height, width);
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.gap = (int) Math.round(gapFraction * side);
        this.jitter = (int) Math.round(jitterFraction * side);
        this.patch = (side - gap - 2 * jitter) / 2;
        if (patch < 2) {
            throw new IllegalArgumentException("a " + height + "x" + width + " image leaves patches of " + patch
                    + " pixels with a gap of " + gap + " and a jitter of " + jitter + "; lower them");
        }
        if (norm.channels() != channels) {
            throw new IllegalArgumentException("normalisation of " + norm.channels() + " channels for images of " + channels);
        }
        this.norm = norm;
        this.crop = new float[channels * patch * patch];
    }

    /** The side of a patch, in pixels of the input. */
    public int patchSize() {
        return patch;
    }

    public int gap() {
        return gap;
    }

    public int jitter() {
        return jitter;
    }

    /**
     * Writes a patch of {@code pixels} ({@code H × W × C} interleaved, as samples are; values in
     * 0..1) into {@code first} and a neighbour into {@code second}, both resized to the input size
     * and normalised; returns the neighbour's position (0–7).
     */
    public int build(float[] pixels, SplittableRandom rnd, float[] first, float[] second) {
        int position = rnd.nextInt(OFFSETS.length);
        int dy = OFFSETS[position][0];
        int dx = OFFSETS[position][1];
        int cell = patch + gap;
        // The first patch anywhere the pair fits, jitter included.
        int top = place(rnd, height, dy, cell);
        int left = place(rnd, width, dx, cell);
        cut(pixels, top, left, rnd, first);
        cut(pixels, top + dy * cell, left + dx * cell, rnd, second);
        return position;
    }

    /** The first patch's unjittered start along a side of {@code size} when the second is {@code d} cells away. */
    private int place(SplittableRandom rnd, int size, int d, int cell) {
        int lo = jitter + (d < 0 ? cell : 0);
        int hi = size - jitter - patch - (d > 0 ? cell : 0);
        return lo + rnd.nextInt(hi - lo + 1);
    }

    /** The patch whose unjittered corner is (y0, x0), shifted by up to the jitter, resized into {@code out}. */
    private void cut(float[] pixels, int y0, int x0, SplittableRandom rnd, float[] out) {
        int y = y0 + (jitter == 0 ? 0 : rnd.nextInt(2 * jitter + 1) - jitter);
        int x = x0 + (jitter == 0 ? 0 : rnd.nextInt(2 * jitter + 1) - jitter);
        // Samples are interleaved (h, w, c): a row of the patch is patch × C consecutive values.
        for (int r = 0; r < patch; r++) {
            System.arraycopy(pixels, ((y + r) * width + x) * channels, crop, r * patch * channels, patch * channels);
        }
        resize(crop, out);
    }

    /** Bilinear resize of a {@code [patch, patch, C]} crop to {@code [H, W, C]}, half-pixel centres, normalised. */
    private void resize(float[] src, float[] out) {
        float sy = (float) patch / height;
        float sx = (float) patch / width;
        int ch = channels;
        for (int r = 0; r < height; r++) {
            float fy = Math.max(0f, (r + 0.5f) * sy - 0.5f);
            int y0 = Math.min((int) fy, patch - 1);
            int y1 = Math.min(y0 + 1, patch - 1);
            float wy = fy - y0;
            for (int col = 0; col < width; col++) {
                float fx = Math.max(0f, (col + 0.5f) * sx - 0.5f);
                int x0 = Math.min((int) fx, patch - 1);
                int x1 = Math.min(x0 + 1, patch - 1);
                float wx = fx - x0;
                for (int c = 0; c < ch; c++) {
                    float top = src[(y0 * patch + x0) * ch + c] * (1 - wx) + src[(y0 * patch + x1) * ch + c] * wx;
                    float bottom = src[(y1 * patch + x0) * ch + c] * (1 - wx) + src[(y1 * patch + x1) * ch + c] * wx;
                    out[(r * width + col) * ch + c] = ((top * (1 - wy) + bottom * wy) - norm.mean(c)) * norm.inv(c);
                }
            }
        }
    }
}
