package io.kontrast.math.nn;

/**
 * {@code flatten}: an image to a vector of its values. In NHWC memory that is no work at all: the
 * output is the input's memory, in (h, w, c) order. (Snapshots publish (c, h, w) order, and the
 * codec reorders the next linear layer's rows to match.)
 */
final class Flatten extends Layer {
    Flatten(String name, Shape in) {
        super(name, in, Shape.vector(in.size()));
    }

    @Override
    String kind() {
        return "flatten";
    }

    @Override
    boolean alias() {
        return true;
    }

    @Override
    boolean concurrentForward() {
        return true;
    }

    @Override
    void forward(Node n, Pass pass) {
        if (n.out.flat.data().addressPointer().address() != n.in.flat.data().addressPointer().address()) {
            n.out.flat.assign(n.in.flat);
        }
    }

    @Override
    void backward(Node n, Pass pass) {
        if (n.dIn != null && n.dIn.flat.data().addressPointer().address() != n.dOut.flat.data().addressPointer().address()) {
            n.dIn.flat.assign(n.dOut.flat);
        }
    }
}
