package io.kontrast.data;

/**
 * A labeled set of {@code height × width} images of {@code channels} (1 or 3) channels, pixels as
 * unsigned bytes (0..255), image after image, row-major with the channels interleaved ((h, w, c)
 * order). {@code files}, where not null, holds each image's encoded bytes as they were read (an
 * image folder's JPEG or PNG files), for replaying them as they are. A set of feature vectors of
 * {@code F} values is {@code F × 1 × 1} ({@link #isVectors()}).
 */
public record LabeledImages(String name, int channels, int height, int width, byte[] pixels, int[] labels, byte[][] files) {
    /** A grayscale set. */
    public LabeledImages(String name, int height, int width, byte[] pixels, int[] labels) {
        this(name, 1, height, width, pixels, labels, null);
    }

    public int size() {
        return labels.length;
    }

    /** Values of one image: channels × height × width. */
    public int pixelsPerImage() {
        return channels * height * width;
    }

    /** Image {@code i} scaled to 0..1. */
    public float[] image(int i) {
        int n = pixelsPerImage();
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            out[j] = (pixels[i * n + j] & 0xFF) / 255f;
        }
        return out;
    }

    /** Whether each sample is a vector of {@code channels} features rather than an image. */
    public boolean isVectors() {
        return height == 1 && width == 1;
    }

    /**
     * The same samples as flat vectors of {@link #pixelsPerImage()} features in the images' own
     * (h, w, c) order, named {@code <name>-vectors/<split>} after {@code <name>/<split>}.
     */
    public LabeledImages asVectors() {
        int slash = name.indexOf('/');
        String named = slash < 0 ? name + "-vectors" : name.substring(0, slash) + "-vectors" + name.substring(slash);
        return new LabeledImages(named, pixelsPerImage(), 1, 1, pixels, labels, null);
    }

    /** The first {@code n} images. */
    public LabeledImages head(int n) {
        n = Math.min(n, size());
        byte[] p = java.util.Arrays.copyOf(pixels, n * pixelsPerImage());
        return new LabeledImages(name, channels, height, width, p, java.util.Arrays.copyOf(labels, n),
                files == null ? null : java.util.Arrays.copyOf(files, n));
    }
}
