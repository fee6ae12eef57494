package io.kontrast.math.nn;

import java.util.stream.IntStream;

/**
 * {@code global_avg_pool}: the mean of each channel over the image, {@code C×H×W} to a vector of
 * {@code C}. Backward spreads {@code dy / (H·W)} over the image.
 */
final class GlobalAvgPool extends Layer {
    GlobalAvgPool(String name, Shape in) {
        super(name, in, Shape.vector(in.channels()));
    }

    @Override
    String kind() {
        return "global_avg_pool";
    }

    @Override
    void forward(Node n, Pass pass) {
        Mem x = Mem.of(n.in.flat);
        Mem y = Mem.of(n.out.flat);
        int area = in.area();
        int c = in.channels();
        IntStream.range(0, n.in.batch).parallel().forEach(b -> {
            int img = b * area * c;
            double[] sum = new double[c];
            for (int i = 0; i < area; i++) {
                for (int ch = 0; ch < c; ch++) sum[ch] += x.get(img + i * c + ch);
            }
            for (int ch = 0; ch < c; ch++) y.put(b * c + ch, sum[ch] / area);
        });
    }

    @Override
    void backward(Node n, Pass pass) {
        if (n.dIn == null) {
            return;
        }
        Mem dx = Mem.of(n.dIn.flat);
        Mem dy = Mem.of(n.dOut.flat);
        int area = in.area();
        int c = in.channels();
        IntStream.range(0, n.in.batch).parallel().forEach(b -> {
            int img = b * area * c;
            for (int i = 0; i < area; i++) {
                for (int ch = 0; ch < c; ch++) dx.put(img + i * c + ch, dy.get(b * c + ch) / area);
            }
        });
    }

    @Override
    double flops() {
        return in.size();
    }
}
