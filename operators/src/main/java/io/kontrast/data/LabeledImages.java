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

    /** Image {@code i} scaled to 0..1; a token set's sample {@code i} as its ids; a graph set's as its packed values. */
    public float[] image(int i) {
        int n = pixelsPerImage();
        float[] out = new float[n];
        if (isGraphs()) {
            // Packed nodes: features (b - 128) / 32, then the adjacency row and the presence, 0 or 1.
            for (int j = 0; j < n; j++) {
                int v = pixels[i * n + j] & 0xFF;
                out[j] = j % SbmGraphs.ROW < SbmGraphs.FEATURES ? (float) ((v - 128) * SbmGraphs.STEP) : v / 255f;
            }
            // Absent nodes' features are 0, not -4.
            for (int node = 0; node < SbmGraphs.MAX_NODES; node++) {
                if (out[node * SbmGraphs.ROW + SbmGraphs.FEATURES + SbmGraphs.MAX_NODES] == 0) {
                    java.util.Arrays.fill(out, node * SbmGraphs.ROW, node * SbmGraphs.ROW + SbmGraphs.FEATURES, 0f);
                }
            }
            return out;
        }
        boolean ids = isTokens();
        for (int j = 0; j < n; j++) {
            int v = pixels[i * n + j] & 0xFF;
            out[j] = ids ? v : v / 255f;
        }
        return out;
    }

    /** Vocabulary of {@link #asRowWords} sets: 0 (the pad id, in no sample) and the 128 row words. */
    public static final int ROW_WORD_VOCAB = 129;

    /** Cells a row is cut into for its word, and the mean a cell needs (of 255) to be set. */
    private static final int WORD_CELLS = 7;
    private static final int CELL_THRESHOLD = 64;

    /**
     * A gray set's images as token sequences, named {@code <name>-tokens/<split>}: each of the
     * {@code height} rows is one word, its {@code 7} cells of {@code width / 7} pixels each a bit
     * (set where the cell's mean is at least 64 of 255), so that a row is one of 128 words, id 1 +
     * its bits (id 0 pads). A sample is {@code height} ids: a vector set of ids as bytes.
     */
    public LabeledImages asRowWords() {
        if (channels != 1 || !isImages() || width % WORD_CELLS != 0) {
            throw new IllegalArgumentException("row words are taken of gray images " + WORD_CELLS + "k pixels wide, not of " + name);
        }
        int cell = width / WORD_CELLS;
        byte[] ids = new byte[size() * height];
        for (int i = 0; i < size(); i++) {
            for (int y = 0; y < height; y++) {
                int bits = 0;
                for (int c = 0; c < WORD_CELLS; c++) {
                    int sum = 0;
                    for (int x = c * cell; x < (c + 1) * cell; x++) sum += pixels[(i * height + y) * width + x] & 0xFF;
                    if (sum >= CELL_THRESHOLD * cell) bits |= 1 << c;
                }
                ids[i * height + y] = (byte) (1 + bits);
            }
        }
        return new LabeledImages(renamed("-tokens"), height, 1, 1, ids, labels, null);
    }

    /** Whether each sample is a sequence of token ids ({@link #asRowWords}): a vector set of ids. */
    public boolean isTokens() {
        int slash = name.indexOf('/');
        return (slash < 0 ? name : name.substring(0, slash)).endsWith("-tokens");
    }

    /** A token set's vocabulary size. */
    public int vocab() {
        if (!isTokens()) throw new IllegalStateException(name + " is not a token set");
        return ROW_WORD_VOCAB;
    }

    /** Whether each sample is a vector of {@code channels} features rather than an image (token sets are not). */
    public boolean isVectors() {
        return height == 1 && width == 1 && !isTokens() && !isGraphs();
    }

    /** Whether each sample is a packed graph neighbourhood ({@link SbmGraphs}). */
    public boolean isGraphs() {
        int slash = name.indexOf('/');
        return (slash < 0 ? name : name.substring(0, slash)).endsWith("-graphs");
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
