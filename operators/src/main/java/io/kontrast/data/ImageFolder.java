package io.kontrast.data;

import io.kontrast.operators.decode.ImageFit;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * An image folder in the usual layout, {@code DIR/<split>/<class>/<file>}: labels number the
 * class folders in sorted order, files are taken in sorted order within each class. Images are
 * decoded with ImageIO and fitted to {@code channels × height × width} as the trainer fits its
 * input (see {@link ImageFit}); the encoded files are kept too, for replaying them as they are.
 */
public final class ImageFolder {
    private ImageFolder() {}

    public static LabeledImages load(Path dir, String split, int channels, int height, int width) throws IOException {
        Path root = dir.resolve(split);
        if (!Files.isDirectory(root)) {
            throw new IOException("no folder " + root + " (expected DIR/<split>/<class>/<image files>)");
        }
        List<Path> classes;
        try (Stream<Path> s = Files.list(root)) {
            classes = s.filter(Files::isDirectory).sorted().toList();
        }
        if (classes.isEmpty()) {
            throw new IOException("no class folders in " + root);
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            try (Stream<Path> s = Files.list(classes.get(c))) {
                for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                    files.add(f);
                    labels.add(c);
                }
            }
        }
        int n = files.size();
        int per = channels * height * width;
        byte[] pixels = new byte[n * per];
        byte[][] raw = new byte[n][];
        IOException[] failure = new IOException[1];
        IntStream.range(0, n).parallel().forEach(i -> {
            try {
                raw[i] = Files.readAllBytes(files.get(i));
                BufferedImage img = ImageIO.read(new ByteArrayInputStream(raw[i]));
                if (img == null) {
                    throw new IOException("not an image ImageIO reads: " + files.get(i));
                }
                int w = img.getWidth();
                int h = img.getHeight();
                int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
                float[] rgb = new float[w * h * 3];
                for (int p = 0; p < argb.length; p++) {
                    rgb[3 * p] = ((argb[p] >> 16) & 0xFF) / 255f;
                    rgb[3 * p + 1] = ((argb[p] >> 8) & 0xFF) / 255f;
                    rgb[3 * p + 2] = (argb[p] & 0xFF) / 255f;
                }
                float[] fitted = ImageFit.fit(rgb, 3, h, w, channels, height, width);
                for (int j = 0; j < per; j++) pixels[i * per + j] = (byte) Math.round(Math.min(1, Math.max(0, fitted[j])) * 255);
            } catch (IOException e) {
                synchronized (failure) {
                    failure[0] = e;
                }
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        int[] l = labels.stream().mapToInt(Integer::intValue).toArray();
        return new LabeledImages(dir.getFileName() + "/" + split, channels, height, width, pixels, l, raw);
    }
}
