package io.kontrast.math.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One layer's place in one workspace: its input and output, the gradients of both ({@code dIn}
 * is null where no gradient flows into the input), scratch from the arena, and whatever the layer
 * prepared from them once ({@code state}). Residual blocks hold their body's and shortcut's nodes.
 */
final class Node {
    final Layer layer;
    Act in;
    Act out;
    Act dIn;
    Act dOut;
    /** Whether the layer may overwrite its input: no other layer reads that memory afterwards. */
    boolean inputWritable;
    INDArray[] scratch = new INDArray[0];
    Object state;
    Node[] body = new Node[0];
    Node[] shortcut = new Node[0];

    /**
     * A linear layer's node whose ReLU (the next node, in place on its output) it applies itself,
     * in the bias pass, and undoes in backward with the bias gradient's column sums; that ReLU's
     * node is {@link #fusedAway}.
     */
    boolean fusedRelu;
    /** A ReLU that the linear layer before applies (see {@link #fusedRelu}): its passes do nothing. */
    boolean fusedAway;

    /** The network's input (a graph layer reads the adjacency and the node mask from it). */
    Act networkInput;

    /** Where {@link #scratch} lies in the arena, to cut further views from the arena itself. */
    INDArray arena;
    long[] scratchOffsets = new long[0];

    Node(Layer layer) {
        this.layer = layer;
    }

    /** Scratch array {@code i} seen as a batch of activations of {@code shape}. */
    Act scratchAct(int i, Shape shape) {
        return new Act(shape, in.batch).bind(arena, scratchOffsets[i]);
    }

    /** Elements {@code [from, from + length)} of scratch array {@code i}. */
    INDArray scratchRange(int i, long from, long length) {
        return arena.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(scratchOffsets[i] + from, scratchOffsets[i] + from + length));
    }
}
