package io.kontrast.math.nn;

/**
 * {@code l2_normalize}: each sample scaled to unit length, {@code y = x / max(‖x‖, 1e-12)}.
 * Backward: {@code dx = (dy − y (y·dy)) / ‖x‖} (or {@code dy / 1e-12} below the floor).
 */
final class L2Normalize extends Layer {
    static final double FLOOR = 1e-12;

    L2Normalize(String name, Shape in) {
        super(name, in, in);
    }

    @Override
    String kind() {
        return "l2_normalize";
    }

    @Override
    boolean backwardNeedsOutput() {
        return true;
    }

    @Override
    long[] scratch(int batch, int groups, boolean inputGrad, boolean inputWritable) {
        return new long[] {batch};
    }

    @Override
    void forward(Node n, Pass pass) {
        Mem x = Mem.of(n.in.flat);
        Mem y = Mem.of(n.out.flat);
        Mem norms = Mem.of(n.scratch[0]);
        int d = in.size();
        for (int b = 0; b < n.in.batch; b++) {
            double sq = 0;
            for (int i = b * d; i < (b + 1) * d; i++) sq += x.get(i) * x.get(i);
            double norm = Math.max(Math.sqrt(sq), FLOOR);
            norms.put(b, norm);
            for (int i = b * d; i < (b + 1) * d; i++) y.put(i, x.get(i) / norm);
        }
    }

    @Override
    void backward(Node n, Pass pass) {
        if (n.dIn == null) {
            return;
        }
        Mem y = Mem.of(n.out.flat);
        Mem dy = Mem.of(n.dOut.flat);
        Mem dx = Mem.of(n.dIn.flat);
        Mem norms = Mem.of(n.scratch[0]);
        int d = in.size();
        for (int b = 0; b < n.in.batch; b++) {
            double norm = norms.get(b);
            double dot = 0;
            if (norm > FLOOR) {
                for (int i = b * d; i < (b + 1) * d; i++) dot += y.get(i) * dy.get(i);
            }
            for (int i = b * d; i < (b + 1) * d; i++) dx.put(i, (dy.get(i) - y.get(i) * dot) / norm);
        }
    }

    @Override
    double flops() {
        return 3.0 * in.size();
    }
}
