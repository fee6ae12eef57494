package io.kontrast.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads Fashion-MNIST from its IDX files (as installed by the Debian package {@code
 * dataset-fashion-mnist} under {@code /usr/share/datasets/fashion-mnist/}), gzipped or not.
 */
public final class FashionMnist {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private FashionMnist() {}

    /** {@code split} is {@code train} (60,000 images) or {@code test} (10,000). */
    public static LabeledImages load(Path dir, String split) throws IOException {
        String prefix = switch (split) {
            case "train" -> "train";
            case "test" -> "t10k";
            default -> throw new IllegalArgumentException("split must be train or test, got " + split);
        };
        byte[][] images = readIdx(find(dir, prefix + "-images-idx3-ubyte"), 0x803);
        byte[][] labels = readIdx(find(dir, prefix + "-labels-idx1-ubyte"), 0x801);
        int[] dims = toInts(images[0]);
        int n = dims[0];
        byte[] lab = labels[1];
        if (lab.length != n) {
            throw new IOException("image and label counts differ: " + n + " vs " + lab.length);
        }
        int[] l = new int[n];
        for (int i = 0; i < n; i++) l[i] = lab[i] & 0xFF;
        return new LabeledImages("fashion-mnist/" + split, dims[1], dims[2], images[1], l);
    }

    private static Path find(Path dir, String base) throws IOException {
        for (String name : new String[] {base + ".gz", base, base.replace("-idx", ".idx")}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        throw new NoSuchFileException(
                dir.resolve(base + ".gz").toString(),
                null,
                "Fashion-MNIST not found; install it with: apt-get install -y dataset-fashion-mnist");
    }

    /** Returns {dims as big-endian ints, data}. */
    private static byte[][] readIdx(Path p, int magic) throws IOException {
        try (InputStream raw = Files.newInputStream(p);
                InputStream in = p.toString().endsWith(".gz")
                        ? new GZIPInputStream(new BufferedInputStream(raw), 1 << 16)
                        : new BufferedInputStream(raw);
                DataInputStream d = new DataInputStream(in)) {
            int m = d.readInt();
            if (m != magic) {
                throw new IOException(p + ": bad IDX magic " + Integer.toHexString(m));
            }
            int rank = m & 0xFF;
            java.nio.ByteBuffer dims = java.nio.ByteBuffer.allocate(4 * rank);
            long count = 1;
            for (int i = 0; i < rank; i++) {
                int v = d.readInt();
                dims.putInt(v);
                count *= v;
            }
            byte[] data = new byte[Math.toIntExact(count)];
            d.readFully(data);
            return new byte[][] {dims.array(), data};
        }
    }

    private static int[] toInts(byte[] b) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b);
        int[] out = new int[b.length / 4];
        for (int i = 0; i < out.length; i++) out[i] = buf.getInt();
        return out;
    }
}
