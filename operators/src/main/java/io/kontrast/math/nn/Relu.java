package io.kontrast.math.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
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
        forward(n.in.flat, n.out.flat);
    }

    /** {@code dx = dy · [y > 0]}. */
    @Override
    void backward(Node n, Pass pass) {
        if (n.dIn == null || n.fusedAway) {
            return;
        }
        backward(n.out.flat, n.dOut.flat, n.dIn.flat);
    }

    /** {@code y = max(0, x)}; {@code y} may be {@code x}. */
    static void forward(INDArray x, INDArray y) {
        Nd4j.getExecutioner().exec(new RectifiedLinear(x, y, 0.0));
    }

    /** {@code dx = dy · [y > 0]}; {@code dx} may be {@code dy}. */
    static void backward(INDArray y, INDArray dy, INDArray dx) {
        Nd4j.exec(DynamicCustomOp.builder("relu_bp")
                .addInputs(y, dy)
                .addOutputs(dx)
                .addFloatingPointArguments(0.0)
                .build());
    }

    @Override
    double flops() {
        return in.size();
    }
}
