package io.kontrast.math.nn;

/**
 * {@code graph_centre}: a graph sample's centre node, the first, as a vector: its {@code C}
 * features of the {@code C×1×N} nodes before it. Backward gives the other nodes no gradient.
 */
final class GraphCentre extends Layer {
    GraphCentre(String name, Shape in) {
        super(name, in, checked(name, in));
    }

    private static Shape checked(String name, Shape in) {
        if (in.height() != 1 || in.width() < 1) {
            throw new IllegalArgumentException("layer " + name + " (graph_centre): needs nodes of features (after graph_conv), got " + in);
        }
        return Shape.vector(in.channels());
    }

    @Override
    String kind() {
        return "graph_centre";
    }

    @Override
    void forward(Node n, Pass pass) {
        Mem x = Mem.of(n.in.flat);
        Mem y = Mem.of(n.out.flat);
        int c = in.channels();
        int per = in.size();
        for (int b = 0; b < n.in.batch; b++) {
            for (int f = 0; f < c; f++) y.put(b * c + f, x.get(b * per + f));
        }
    }

    @Override
    void backward(Node n, Pass pass) {
        if (n.dIn == null) return;
        Mem dy = Mem.of(n.dOut.flat);
        Mem dx = Mem.of(n.dIn.flat);
        n.dIn.flat.assign(0);
        int c = in.channels();
        int per = in.size();
        for (int b = 0; b < n.in.batch; b++) {
            for (int f = 0; f < c; f++) dx.put(b * per + f, dy.get(b * c + f));
        }
    }
}
