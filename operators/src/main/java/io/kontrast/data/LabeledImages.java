package io.kontrast.data;

/**
 * A labeled set of {@code height × width} grayscale images, pixels as unsigned bytes (0..255),
 * image after image, row-major.
 */
public record LabeledImages(String name, int height, int width, byte[] pixels, int[] labels) {
    public int size() {
        return labels.length;
    }

    public int pixelsPerImage() {
        return height * width;
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

    /** The first {@code n} images. */
    public LabeledImages head(int n) {
        n = Math.min(n, size());
        byte[] p = java.util.Arrays.copyOf(pixels, n * pixelsPerImage());
        return new LabeledImages(name, height, width, p, java.util.Arrays.copyOf(labels, n));
    }
}
