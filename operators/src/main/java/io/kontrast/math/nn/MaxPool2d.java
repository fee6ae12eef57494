package io.kontrast.math.nn;

import java.util.Map;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code max_pool2d}: the maximum of each {@code k×k} window, stride {@code s}, no padding.
 * Forward on libnd4j's {@code maxpool2d} (oneDNN); backward in Java over the batch in parallel,
 * each window's gradient to its first maximum in row-major order (libnd4j's NHWC {@code
 * maxpool2d_bp} took 60 ms a batch).
 */
final class MaxPool2d extends Layer {
    final int k;
    final int s;

    MaxPool2d(String name, Shape in, int kernel, int stride) {
        super(name, in, pooled(name, "max_pool2d", in, kernel, stride));
        this.k = kernel;
        this.s = stride;
    }

    static Shape pooled(String name, String kind, Shape in, int k, int s) {
        if (k < 1 || s < 1 || k > in.height() || k > in.width()) {
            throw new IllegalArgumentException("layer " + name + " (" + kind + "): needs 1 <= kernel_size <= the input's "
                    + "height and width and stride >= 1, got kernel_size " + k + " and stride " + s + " on " + in);
        }
        return new Shape(in.channels(), (in.height() - k) / s + 1, (in.width() - k) / s + 1);
    }

    @Override
    String kind() {
        return "max_pool2d";
    }

    @Override
    boolean backwardNeedsOutput() {
        return true;
    }

    @Override
    void forward(Node n, Pass pass) {
        Nd4j.exec(DynamicCustomOp.builder("maxpool2d")
                .addInputs(n.in.nhwc)
                .addOutputs(n.out.nhwc)
                .addIntegerArguments(k, k, s, s, 0, 0, 1, 1, 0, 0, 1)
                .build());
    }

    @Override
    void backward(Node n, Pass pass) {
        if (n.dIn == null) {
            return;
        }
        Mem x = Mem.of(n.in.flat);
        Mem y = Mem.of(n.out.flat);
        Mem dy = Mem.of(n.dOut.flat);
        Mem dx = Mem.of(n.dIn.flat);
        int h = in.height();
        int w = in.width();
        int c = in.channels();
        int oh = out.height();
        int ow = out.width();
        // Where the windows tile the image, each input lies in exactly one window and is written
        // once (its window's gradient or 0); otherwise gradients are added onto zeros.
        boolean tiles = k == s && h % k == 0 && w % k == 0;
        IntStream.range(0, n.in.batch).parallel().forEach(b -> {
            int img = b * h * w * c;
            if (!tiles) {
                dx.zero(img, img + h * w * c);
            }
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int po = ((b * oh + i) * ow + j) * c;
                    int corner = img + (i * s * w + j * s) * c;
                    if (k == 2 && tiles) {
                        // The common 2×2 window, in straight-line code.
                        int a01 = corner + c;
                        int a10 = corner + w * c;
                        int a11 = a10 + c;
                        for (int ch = 0; ch < c; ch++) {
                            double max = y.get(po + ch);
                            double g = dy.get(po + ch);
                            double g00 = 0, g01 = 0, g10 = 0, g11 = 0;
                            if (x.get(corner + ch) == max) g00 = g;
                            else if (x.get(a01 + ch) == max) g01 = g;
                            else if (x.get(a10 + ch) == max) g10 = g;
                            else g11 = g;
                            dx.put(corner + ch, g00);
                            dx.put(a01 + ch, g01);
                            dx.put(a10 + ch, g10);
                            dx.put(a11 + ch, g11);
                        }
                        continue;
                    }
                    for (int ch = 0; ch < c; ch++) {
                        double max = y.get(po + ch);
                        double g = dy.get(po + ch);
                        boolean found = false;
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int a = corner + (ky * w + kx) * c + ch;
                                if (!found && x.get(a) == max) {
                                    found = true;
                                    if (tiles) dx.put(a, g);
                                    else dx.add(a, g);
                                } else if (tiles) {
                                    dx.put(a, 0);
                                }
                            }
                        }
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
