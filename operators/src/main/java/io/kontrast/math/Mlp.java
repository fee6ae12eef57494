package io.kontrast.math;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A multi-layer perceptron over one flat parameter buffer, with hand-written forward and
 * backward passes.
 *
 * <p>Layer {@code l} maps {@code dims[l]} to {@code dims[l+1]}: {@code z = a W + b}, followed by
 * ReLU on every layer but the last. The first {@code backboneLayers} layers are the backbone (its
 * output is the published representation); the rest are the projection head.
 *
 * <p>All parameters of all layers live in one flat float vector laid out layer by layer as
 * {@code W_l} (row-major {@code [in, out]}) then {@code b_l}, so that the optimizer, the EMA and
 * checkpoints each treat the whole model as a single buffer. Gradients use the same layout.
 *
 * <p>{@link Workspace} holds every activation for one batch size, allocated once: a training step
 * allocates no large arrays.
 */
public final class Mlp implements Network {
    private final int[] dims;
    private final int backboneLayers;
    private final long[] weightOffset;
    private final long[] biasOffset;
    private final long paramCount;

    public Mlp(int[] dims, int backboneLayers) {
        if (dims.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least one layer");
        }
        if (backboneLayers < 1 || backboneLayers > dims.length - 1) {
            throw new IllegalArgumentException(
                    "backboneLayers must be in 1.." + (dims.length - 1) + ": " + backboneLayers);
        }
        this.dims = dims.clone();
        this.backboneLayers = backboneLayers;
        int layers = dims.length - 1;
        weightOffset = new long[layers];
        biasOffset = new long[layers];
        long off = 0;
        for (int l = 0; l < layers; l++) {
            weightOffset[l] = off;
            off += (long) dims[l] * dims[l + 1];
            biasOffset[l] = off;
            off += dims[l + 1];
        }
        paramCount = off;
    }

    @Override
    public String architecture() {
        return "mlp";
    }

    @Override
    public long statsCount() {
        return 0;
    }

    @Override
    public void init(INDArray params, INDArray stats, long seed) {
        init(params, seed);
    }

    @Override
    public INDArray forward(INDArray params, INDArray stats, INDArray x, Network.Workspace ws, boolean training) {
        return forward(params, x, (Workspace) ws);
    }

    @Override
    public INDArray representation(Network.Workspace ws) {
        return representation((Workspace) ws);
    }

    @Override
    public INDArray outputGradient(Network.Workspace ws) {
        return ((Workspace) ws).delta[layers() - 1];
    }

    @Override
    public void backward(INDArray params, INDArray x, Network.Workspace ws, INDArray dOut, INDArray grads) {
        backward(params, x, (Workspace) ws, dOut, grads);
    }

    @Override
    public void backward(INDArray params, INDArray x, Network.Workspace ws, INDArray dOut, INDArray grads, Lanes lanes) {
        backward(params, x, (Workspace) ws, dOut, grads, lanes);
    }

    /** A forward pass touches only its workspace (its views and scratch arrays included). */
    @Override
    public boolean concurrentForward() {
        return true;
    }

    @Override
    public double forwardFlops() {
        double f = 0;
        for (int l = 0; l < layers(); l++) f += 2.0 * dims[l] * dims[l + 1];
        return f;
    }

    @Override
    public double firstLayerFlops() {
        return 2.0 * dims[0] * dims[1];
    }

    public int layers() {
        return dims.length - 1;
    }

    public int backboneLayers() {
        return backboneLayers;
    }

    @Override
    public int inputDim() {
        return dims[0];
    }

    @Override
    public int outputDim() {
        return dims[dims.length - 1];
    }

    @Override
    public int representationDim() {
        return dims[backboneLayers];
    }

    public int dim(int i) {
        return dims[i];
    }

    public int[] dims() {
        return dims.clone();
    }

    @Override
    public long paramCount() {
        return paramCount;
    }

    public long weightOffset(int layer) {
        return weightOffset[layer];
    }

    public long biasOffset(int layer) {
        return biasOffset[layer];
    }

    /** View of {@code W_l} ({@code [in, out]}) inside a flat buffer. */
    public INDArray weight(INDArray flat, int l) {
        return flat.get(NDArrayIndex.interval(weightOffset[l], biasOffset[l]))
                .reshape('c', dims[l], dims[l + 1]);
    }

    /** View of {@code b_l} ({@code [out]}) inside a flat buffer. */
    public INDArray bias(INDArray flat, int l) {
        return flat.get(NDArrayIndex.interval(biasOffset[l], biasOffset[l] + dims[l + 1]));
    }

    /**
     * PyTorch's default initialisation for linear layers: {@code W, b ~ U(-1/sqrt(in),
     * 1/sqrt(in))}.
     */
    public void init(INDArray flat, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] values = new float[(int) paramCount];
        for (int l = 0; l < layers(); l++) {
            double bound = 1.0 / Math.sqrt(dims[l]);
            for (long i = weightOffset[l]; i < biasOffset[l] + dims[l + 1]; i++) {
                values[(int) i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            }
        }
        flat.assign(Nd4j.createFromArray(values));
    }

    @Override
    public Workspace newWorkspace(int batch) {
        return new Workspace(batch);
    }

    /**
     * Forward pass: {@code ws.out} = MLP(x). {@code x} is {@code [batch, in]}; {@code params} a
     * flat parameter buffer.
     */
    public INDArray forward(INDArray params, INDArray x, Workspace ws) {
        INDArray in = x;
        for (int l = 0; l < layers(); l++) {
            // a W as one GEMM, then bias and ReLU in one pass over a heap copy: ND4J's fused
            // relu_layer and its element-wise ops each cost more than the copy.
            Sgemm.gemm(in, ws.weights(params, l), ws.act[l], false, false, 1.0, 0.0);
            HeapPass.addBias(ws.act[l], ws.biases(params, l), l < layers() - 1, ws.scratch, ws.row);
            in = ws.act[l];
        }
        return ws.act[layers() - 1];
    }

    /** Output of the backbone after {@link #forward}: the representation. */
    public INDArray representation(Workspace ws) {
        return ws.act[backboneLayers - 1];
    }

    /**
     * Backward pass after {@link #forward} on the same workspace: writes dLoss/dParams into
     * {@code grads} (overwriting it) given {@code dOut} = dLoss/dOutput. {@code dOut} is consumed.
     */
    public void backward(INDArray params, INDArray x, Workspace ws, INDArray dOut, INDArray grads) {
        backward(params, x, ws, dOut, grads, null);
    }

    /**
     * {@link #backward}, with each layer's weight gradient beside its input gradient in two {@link
     * Lanes} (when not null). The first layer's weight gradient, which has no partner, is split
     * by rows into the two lanes.
     */
    public void backward(INDArray params, INDArray x, Workspace ws, INDArray dOut, INDArray grads, Lanes lanes) {
        INDArray delta = dOut;
        HeapPass.columnSums(delta, ws.biases(grads, layers() - 1), ws.scratch, ws.row);
        for (int l = layers() - 1; l >= 0; l--) {
            // dW = in^T delta.
            INDArray in = l == 0 ? x : ws.act[l - 1];
            INDArray dW = ws.weights(grads, l);
            INDArray d = delta;
            Runnable weightGradient = () -> Sgemm.gemm(in, d, dW, true, false, 1.0, 0.0);
            if (l == 0) {
                // The first layer's weight gradient has no partner: with lanes, each computes half
                // of its rows (input pixels), in place.
                if (lanes != null && Sgemm.splitsRows(in, d, dW)) {
                    int half = dims[0] / 2;
                    lanes.run(() -> Sgemm.transposedProductRows(in, d, dW, half, dims[0]),
                            () -> Sgemm.transposedProductRows(in, d, dW, 0, half));
                } else {
                    weightGradient.run();
                }
                break;
            }
            // Below the first layer (whose input needs no gradient): dIn = delta W^T, then through
            // the ReLU (the gradient passes only where the activation was positive), and its
            // column sums are the layer below's db.
            INDArray dIn = ws.delta[l - 1];
            INDArray w = ws.weights(params, l);
            INDArray db = ws.biases(grads, l - 1);
            Runnable inputGradient = () -> {
                Sgemm.gemm(d, w, dIn, false, true, 1.0, 0.0);
                HeapPass.reluBackwardColumnSums(in, dIn, db, ws.scratch, ws.mask, ws.row);
            };
            if (lanes != null) {
                lanes.run(weightGradient, inputGradient);
            } else {
                weightGradient.run();
                inputGradient.run();
            }
            delta = dIn;
        }
    }

    /** Preallocated activations and deltas for one batch size. */
    public final class Workspace implements Network.Workspace {
        final int batch;
        final INDArray[] act;
        final INDArray[] delta;
        final float[] scratch;
        final float[] mask;
        final float[] row;
        private final Map<INDArray, INDArray[][]> viewCache = new IdentityHashMap<>();

        Workspace(int batch) {
            this.batch = batch;
            int layers = layers();
            act = new INDArray[layers];
            delta = new INDArray[layers];
            int widest = 0;
            for (int l = 1; l < dims.length; l++) widest = Math.max(widest, dims[l]);
            scratch = new float[batch * widest];
            mask = new float[batch * widest];
            row = new float[widest];
            for (int l = 0; l < layers; l++) {
                act[l] = Nd4j.create(DataType.FLOAT, batch, dims[l + 1]);
                delta[l] = Nd4j.create(DataType.FLOAT, batch, dims[l + 1]);
            }
        }

        @Override
        public int batch() {
            return batch;
        }

        public INDArray output() {
            return act[act.length - 1];
        }

        // Views into flat buffers are cached per buffer (params, grads, key params), so that a
        // step creates none.
        INDArray weights(INDArray flat, int l) {
            return views(flat)[0][l];
        }

        INDArray biases(INDArray flat, int l) {
            return views(flat)[1][l];
        }

        private INDArray[][] views(INDArray flat) {
            INDArray[][] v = viewCache.get(flat);
            if (v == null) {
                v = new INDArray[2][layers()];
                for (int l = 0; l < layers(); l++) {
                    v[0][l] = weight(flat, l);
                    v[1][l] = bias(flat, l);
                }
                if (viewCache.size() >= 8) {
                    viewCache.clear();
                }
                viewCache.put(flat, v);
            }
            return v;
        }

        @Override
        public String toString() {
            return "Workspace(batch=" + batch + ", dims=" + Arrays.toString(dims) + ")";
        }
    }
}
