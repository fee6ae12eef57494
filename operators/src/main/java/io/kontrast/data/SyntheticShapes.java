package io.kontrast.data;

import java.util.SplittableRandom;

/**
 * A built-in labeled image set that needs no download: ten classes of simple shapes (filled and
 * hollow squares, discs, rings, crosses, horizontal and vertical bars, diagonals, triangles,
 * checkerboards) drawn at random positions, scales and intensities on a 28×28 canvas, with light
 * noise. Deterministic for a seed.
 */
public final class SyntheticShapes {
    public static final int CLASSES = 10;
    public static final int SIZE = 28;

    private SyntheticShapes() {}

    public static LabeledImages generate(int count, long seed, String name) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] pixels = new byte[count * SIZE * SIZE];
        int[] labels = new int[count];
        float[] img = new float[SIZE * SIZE];
        for (int i = 0; i < count; i++) {
            int label = rnd.nextInt(CLASSES);
            labels[i] = label;
            java.util.Arrays.fill(img, 0f);
            draw(label, img, rnd);
            for (int j = 0; j < img.length; j++) {
                float v = img[j] + (float) ((rnd.nextDouble() - 0.5) * 0.1);
                pixels[i * img.length + j] = (byte) Math.round(Math.max(0, Math.min(1, v)) * 255);
            }
        }
        return new LabeledImages(name, SIZE, SIZE, pixels, labels);
    }

    private static void draw(int label, float[] img, SplittableRandom rnd) {
        double r = 5 + rnd.nextDouble() * 6; // half-size 5..11
        double cx = r + rnd.nextDouble() * (SIZE - 2 * r);
        double cy = r + rnd.nextDouble() * (SIZE - 2 * r);
        float ink = (float) (0.5 + rnd.nextDouble() * 0.5);
        double t = Math.max(1.5, r / 4); // stroke width
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double dx = x + 0.5 - cx;
                double dy = y + 0.5 - cy;
                double ax = Math.abs(dx);
                double ay = Math.abs(dy);
                double d = Math.hypot(dx, dy);
                boolean on = switch (label) {
                    case 0 -> ax <= r && ay <= r; // filled square
                    case 1 -> ax <= r && ay <= r && (ax >= r - t || ay >= r - t); // hollow square
                    case 2 -> d <= r; // disc
                    case 3 -> d <= r && d >= r - t; // ring
                    case 4 -> (ax <= t / 2 && ay <= r) || (ay <= t / 2 && ax <= r); // plus
                    case 5 -> ay <= r / 2 && ax <= r; // horizontal bar
                    case 6 -> ax <= r / 2 && ay <= r; // vertical bar
                    case 7 -> ax <= r && ay <= r && Math.abs(dx - dy) <= t; // diagonal
                    case 8 -> dy <= r && dy >= -r && ax <= (dy + r) / 2; // triangle
                    default -> ax <= r && ay <= r
                            && ((int) Math.floor((dx + r) / (r / 2)) + (int) Math.floor((dy + r) / (r / 2))) % 2 == 0; // checkerboard
                };
                if (on) img[y * SIZE + x] = ink;
            }
        }
    }
}
