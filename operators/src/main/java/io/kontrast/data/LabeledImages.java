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

    /** Whether each sample is a sequence of {@code width} steps of {@code channels} features. */
    public boolean isSequences() {
        return height == 1 && width > 1;
    }

    /** Whether each sample is an image (neither a vector nor a sequence). */
    public boolean isImages() {
        return height > 1;
    }

    /**
     * A gray set's images as sequences of their rows: {@code height} steps of {@code width}
     * features, named {@code <name>-rows/<split>} after {@code <name>/<split>}.
     */
    public LabeledImages asRows() {
        if (channels != 1 || !isImages()) throw new IllegalArgumentException("rows are taken of gray images, not of " + name);
        return new LabeledImages(renamed("-rows"), width, 1, height, pixels, labels, null);
    }

    private String renamed(String suffix) {
        int slash = name.indexOf('/');
        return slash < 0 ? name + suffix : name.substring(0, slash) + suffix + name.substring(slash);
    }

    /**
     * The same samples as flat vectors of {@link #pixelsPerImage()} features in the images' own
     * (h, w, c) order, named {@code <name>-vectors/<split>} after {@code <name>/<split>}.
     */
    public LabeledImages asVectors() {
        return new LabeledImages(renamed("-vectors"), pixelsPerImage(), 1, 1, pixels, labels, null);
    }

    /**
     * A gray set's images as pairs of their top and bottom halves, named {@code
     * <name>-halves/<split>}: the pixels stay the images' ({@link #halfShape} each half); {@link
     * Samples#sample} publishes each as a paired sample of the parts {@code top} and {@code
     * bottom}.
     */
    public LabeledImages asHalves() {
        if (channels != 1 || !isImages() || height % 2 != 0) {
            throw new IllegalArgumentException("halves are taken of gray images of an even height, not of " + name);
        }
        return new LabeledImages(renamed("-halves"), channels, height, width, pixels, labels, null);
    }

    /** Whether the samples are pairs of image halves ({@link #asHalves}). */
    public boolean isHalves() {
        int slash = name.indexOf('/');
        return (slash < 0 ? name : name.substring(0, slash)).endsWith("-halves");
    }

    /** The parts of a halves set: their names, in order. */
    public static final java.util.List<String> HALVES = java.util.List.of("top", "bottom");

    /** A half's shape, {@code [C, H/2, W]}. */
    public int[] halfShape() {
        return new int[] {channels, height / 2, width};
    }

    /** Half {@code p} (0: top, 1: bottom) of every image of a halves set, as a set of {@link #halfShape} images. */
    public LabeledImages half(int p) {
        int n = pixelsPerImage();
        int h = n / 2;
        byte[] out = new byte[size() * h];
        for (int i = 0; i < size(); i++) System.arraycopy(pixels, i * n + p * h, out, i * h, h);
        return new LabeledImages(name + "#" + HALVES.get(p), channels, height / 2, width, out, labels, null);
    }

    /** The first {@code n} images. */
    public LabeledImages head(int n) {
        n = Math.min(n, size());
        byte[] p = java.util.Arrays.copyOf(pixels, n * pixelsPerImage());
        return new LabeledImages(name, channels, height, width, p, java.util.Arrays.copyOf(labels, n),
                files == null ? null : java.util.Arrays.copyOf(files, n));
    }
}
