package io.kontrast.math.nn;

import java.util.Map;
import java.util.stream.IntStream;

/**
 * {@code avg_pool2d}: the mean of each {@code k×k} window, stride {@code s}, no padding; in Java
 * over the batch in parallel. Backward spreads each window's gradient evenly over it.
 */
final class AvgPool2d extends Layer {
    final int k;
    final int s;

    AvgPool2d(String name, Shape in, int kernel, int stride) {
        super(name, in, MaxPool2d.pooled(name, "avg_pool2d", in, kernel, stride));
        this.k = kernel;
        this.s = stride;
    }

    @Override
    String kind() {
        return "avg_pool2d";
    }

    @Override
    void forward(Node n, Pass pass) {
        windows(n, true);
    }

    @Override
    void backward(Node n, Pass pass) {
        if (n.dIn != null) {
            windows(n, false);
        }
    }

    /** Forward: each output the mean of its window. Backward: each input the sum of its windows' dy / k². */
    private void windows(Node n, boolean forward) {
        Mem x = Mem.of(forward ? n.in.flat : n.dIn.flat);
        Mem y = Mem.of(forward ? n.out.flat : n.dOut.flat);
        int h = in.height();
        int w = in.width();
        int c = in.channels();
        int oh = out.height();
        int ow = out.width();
        double scale = 1.0 / (k * k);
        IntStream.range(0, n.in.batch).parallel().forEach(b -> {
            int img = b * h * w * c;
            if (!forward) {
                x.zero(img, img + h * w * c);
            }
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int po = ((b * oh + i) * ow + j) * c;
                    for (int ch = 0; ch < c; ch++) {
                        double sum = 0;
                        double d = forward ? 0 : y.get(po + ch) * scale;
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int a = img + ((i * s + ky) * w + j * s + kx) * c + ch;
                                if (forward) sum += x.get(a);
                                else x.add(a, d);
                            }
                        }
                        if (forward) y.put(po + ch, sum * scale);
                    }
                }
            }
        });
    }

    @Override
    double flops() {
        return (double) out.size() * k * k;
    }

    @Override
    Map<String, String> attributes() {
        return Map.of("kernel_size", Integer.toString(k), "stride", Integer.toString(s));
    }
}
