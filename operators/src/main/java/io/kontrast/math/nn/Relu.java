package io.kontrast.math.nn;

import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.factory.Nd4j;

/** {@code relu}: {@code y = max(0, x)}; in place where the layer before does not need its output. */
final class Relu extends Layer {
    Relu(String name, Shape in) {
        super(name, in, in);
    }

    @Override
    String kind() {
        return "relu";
    }

    @Override
    boolean inPlace() {
        return true;
    }

    @Override
    boolean concurrentForward() {
        return true;
    }

    @Override
    boolean backwardNeedsOutput() {
        return true;
    }

    @Override
    void forward(Node n, Pass pass) {
        if (n.fusedAway) return;
        Nd4j.getExecutioner().exec(new RectifiedLinear(n.in.flat, n.out.flat, 0.0));
    }

    /** {@code dx = dy · [y > 0]}. */
    @Override
    void backward(Node n, Pass pass) {
        if (n.dIn == null || n.fusedAway) {
            return;
        }
        Nd4j.exec(DynamicCustomOp.builder("relu_bp")
                .addInputs(n.out.flat, n.dOut.flat)
                .addOutputs(n.dIn.flat)
                .addFloatingPointArguments(0.0)
                .build());
    }

    @Override
    double flops() {
        return in.size();
    }
}
