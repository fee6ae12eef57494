package io.kontrast.math.objective;

import static io.kontrast.math.nn.LayerSpec.batchNorm;
import static io.kontrast.math.nn.LayerSpec.linear;
import static io.kontrast.math.nn.LayerSpec.relu;

import io.kontrast.math.HyperParams;
import io.kontrast.math.Network;
import io.kontrast.math.nn.EncoderSpec;
import io.kontrast.math.nn.LayerNet;
import io.kontrast.math.nn.Shape;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An objective's own MLP on the encoder's outputs (SimSiam's and BYOL's predictor, context
 * prediction's position classifier): linear-{@code hidden} → batch norm → ReLU → linear-{@code
 * out}, trained in training mode with the encoder's optimizer settings and learning rate. Its
 * parameters, momentum and running statistics are learning state, named {@code <name>Params},
 * {@code <name>Velocity} and {@code <name>Stats}.
 */
final class Head {
    private final String name;
    private final LayerNet net;
    private final INDArray params;
    private final INDArray grads;
    private final INDArray velocity;
    private final INDArray stats;
    private final INDArray statsBefore;
    private final Network.Workspace ws;

    /**
     * @param rows the rows of every batch it sees
     * @param dtype the online encoder's float type (DOUBLE in gradient checks)
     */
    Head(String name, int in, int hidden, int out, int rows, DataType dtype, long seed) {
        this.name = name;
        net = new LayerNet(name, new EncoderSpec(Shape.vector(in), List.of(linear(hidden), batchNorm(), relu(), linear(out)),
                List.of()), 1, dtype);
        params = Nd4j.create(dtype, net.paramCount());
        grads = Nd4j.create(dtype, net.paramCount());
        velocity = Nd4j.create(dtype, net.paramCount());
        stats = Nd4j.create(dtype, Math.max(1, net.statsCount()));
        net.init(params, stats, seed);
        statsBefore = stats.dup();
        ws = net.newWorkspaceWithInputGradient(rows);
    }

    /** The head's outputs on {@code x}, batch norm on the batch's statistics (running ones updated; see {@link #discard}). */
    INDArray forward(INDArray x) {
        statsBefore.assign(stats);
        return net.forward(params, stats, x, ws, true);
    }

    /** The array to write dLoss/dOutput into before {@link #backward}. */
    INDArray outputGradient() {
        return net.outputGradient(ws);
    }

    /** Back-propagates the output gradient through the last forward pass on {@code x}; returns dLoss/dx. */
    INDArray backward(INDArray x) {
        net.backward(params, x, ws, net.outputGradient(ws), grads);
        return net.inputGradient(ws);
    }

    /** The SGD step after a finite step. */
    void update(double learningRate, HyperParams hp) {
        Sgd.step(params, grads, velocity, learningRate, hp.weightDecay(), hp.sgdMomentum());
    }

    /** Undoes the last forward pass's change to the running statistics (a step that was not finite). */
    void discard() {
        stats.assign(statsBefore);
    }

    void putState(Map<String, INDArray> state) {
        state.put(name + "Params", params);
        state.put(name + "Velocity", velocity);
        state.put(name + "Stats", stats);
    }

    void clearMomentum() {
        velocity.assign(0);
    }

    /** The gradient of the last backward pass, for tests. */
    INDArray gradients() {
        return grads;
    }
}
