package io.kontrast.math.nn;

import io.kontrast.math.Network;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Two or more encoders side by side, one per part of a paired sample (CLIP's towers), seen as one
 * {@link Network}: its input is the parts' values concatenated in order, its output the towers'
 * outputs concatenated, its representation the towers' representations concatenated. Each tower
 * is a {@link LayerNet} with parameters and statistics of its own; here they sit one after the
 * other in one flat buffer, so that a learner's optimizer, checkpoints and restores treat them as
 * any encoder's. Snapshots publish each tower as its own encoder ({@link #tower}).
 */
public final class Towers implements Network {
    private final List<String> names;
    private final LayerNet[] towers;
    private final int[] inOffset;
    private final int[] outOffset;
    private final int[] repOffset;
    private final long[] paramOffset;
    private final long[] statOffset;
    private final int inputDim;
    private final int outputDim;
    private final int representationDim;
    private final long paramCount;
    private final long statsCount;
    /** Each flat buffer's per-tower views, made once: a tower's layer views are cached by their buffer. */
    private final Map<INDArray, INDArray[]> paramViews = new IdentityHashMap<>();
    private final Map<INDArray, INDArray[]> statViews = new IdentityHashMap<>();

    public Towers(List<String> names, List<LayerNet> towers) {
        if (names.size() != towers.size() || towers.size() < 2) {
            throw new IllegalArgumentException("towers need one name per tower, and at least two; got " + names + " for "
                    + towers.size());
        }
        this.names = List.copyOf(names);
        this.towers = towers.toArray(LayerNet[]::new);
        int n = this.towers.length;
        inOffset = new int[n + 1];
        outOffset = new int[n + 1];
        repOffset = new int[n + 1];
        paramOffset = new long[n + 1];
        statOffset = new long[n + 1];
        for (int k = 0; k < n; k++) {
            LayerNet t = this.towers[k];
            if (t.dataType() != this.towers[0].dataType()) throw new IllegalArgumentException("towers of one float type only");
            inOffset[k + 1] = inOffset[k] + t.inputDim();
            outOffset[k + 1] = outOffset[k] + t.outputDim();
            repOffset[k + 1] = repOffset[k] + t.representationDim();
            paramOffset[k + 1] = paramOffset[k] + t.paramCount();
            // At least one value each, as LayerNet.newStats gives a network without statistics.
            statOffset[k + 1] = statOffset[k] + Math.max(1, t.statsCount());
        }
        inputDim = inOffset[n];
        outputDim = outOffset[n];
        representationDim = repOffset[n];
        paramCount = paramOffset[n];
        statsCount = statOffset[n];
    }

    public List<String> names() {
        return names;
    }

    public int size() {
        return towers.length;
    }

    public LayerNet tower(int k) {
        return towers[k];
    }

    /** Tower {@code k}'s part of a flat parameter buffer of this network (a view). */
    public INDArray towerParams(INDArray params, int k) {
        return split(paramViews, params, paramOffset)[k];
    }

    /** Tower {@code k}'s part of a statistics buffer of this network (a view). */
    public INDArray towerStats(INDArray stats, int k) {
        return split(statViews, stats, statOffset)[k];
    }

    /** Where tower {@code k}'s output starts in the concatenated output. */
    public int outputOffset(int k) {
        return outOffset[k];
    }

    private synchronized INDArray[] split(Map<INDArray, INDArray[]> cache, INDArray flat, long[] offsets) {
        return cache.computeIfAbsent(flat, f -> {
            INDArray v = f.reshape(-1);
            INDArray[] out = new INDArray[towers.length];
            for (int k = 0; k < out.length; k++) out[k] = v.get(NDArrayIndex.interval(offsets[k], offsets[k + 1]));
            return out;
        });
    }

    @Override
    public String architecture() {
        StringBuilder b = new StringBuilder("towers(");
        for (int k = 0; k < towers.length; k++) b.append(k == 0 ? "" : ",").append(names.get(k)).append(':').append(towers[k].architecture());
        return b.append(')').toString();
    }

    @Override
    public int inputDim() {
        return inputDim;
    }

    @Override
    public int outputDim() {
        return outputDim;
    }

    @Override
    public int representationDim() {
        return representationDim;
    }

    @Override
    public long paramCount() {
        return paramCount;
    }

    @Override
    public long statsCount() {
        return statsCount;
    }

    @Override
    public INDArray newParams() {
        return Nd4j.create(towers[0].dataType(), paramCount);
    }

    @Override
    public INDArray newStats() {
        return Nd4j.create(towers[0].dataType(), statsCount);
    }

    @Override
    public void init(INDArray params, INDArray stats, long seed) {
        for (int k = 0; k < towers.length; k++) {
            towers[k].init(towerParams(params, k), towerStats(stats, k), seed + 0x9E3779B97F4A7C15L * k);
        }
    }

    @Override
    public boolean shufflesKeys() {
        return towers[0].shufflesKeys();
    }

    @Override
    public double forwardFlops() {
        double f = 0;
        for (LayerNet t : towers) f += t.forwardFlops();
        return f;
    }

    @Override
    public double firstLayerFlops() {
        double f = 0;
        for (LayerNet t : towers) f += t.firstLayerFlops();
        return f;
    }

    /** The towers' workspaces, each tower's input copied out of the concatenation, and the joined outputs. */
    public final class Workspace implements Network.Workspace {
        final int batch;
        final Network.Workspace[] ws;
        final INDArray[] x;
        final INDArray[] dOut;
        final INDArray out;
        final INDArray[] outCols;
        final INDArray rep;
        final INDArray[] repCols;
        final INDArray dOutAll;

        Workspace(int batch) {
            this.batch = batch;
            int n = towers.length;
            ws = new Network.Workspace[n];
            x = new INDArray[n];
            dOut = new INDArray[n];
            outCols = new INDArray[n];
            repCols = new INDArray[n];
            out = Nd4j.create(towers[0].dataType(), batch, outputDim);
            rep = Nd4j.create(towers[0].dataType(), batch, representationDim);
            dOutAll = Nd4j.create(towers[0].dataType(), batch, outputDim);
            for (int k = 0; k < n; k++) {
                ws[k] = towers[k].newWorkspace(batch);
                x[k] = Nd4j.create(towers[0].dataType(), batch, towers[k].inputDim());
                dOut[k] = Nd4j.create(towers[0].dataType(), batch, towers[k].outputDim());
                outCols[k] = out.get(NDArrayIndex.all(), NDArrayIndex.interval(outOffset[k], outOffset[k + 1]));
                repCols[k] = rep.get(NDArrayIndex.all(), NDArrayIndex.interval(repOffset[k], repOffset[k + 1]));
            }
        }

        @Override
        public int batch() {
            return batch;
        }
    }

    @Override
    public Workspace newWorkspace(int batch) {
        return new Workspace(batch);
    }

    @Override
    public INDArray forward(INDArray params, INDArray stats, INDArray x, Network.Workspace w, boolean training) {
        Workspace ws = (Workspace) w;
        for (int k = 0; k < towers.length; k++) {
            ws.x[k].assign(x.get(NDArrayIndex.all(), NDArrayIndex.interval(inOffset[k], inOffset[k + 1])));
            INDArray o = towers[k].forward(towerParams(params, k), stats == null ? null : towerStats(stats, k), ws.x[k],
                    ws.ws[k], training);
            ws.outCols[k].assign(o);
        }
        return ws.out;
    }

    @Override
    public INDArray representation(Network.Workspace w) {
        Workspace ws = (Workspace) w;
        for (int k = 0; k < towers.length; k++) ws.repCols[k].assign(towers[k].representation(ws.ws[k]));
        return ws.rep;
    }

    @Override
    public INDArray outputGradient(Network.Workspace w) {
        return ((Workspace) w).dOutAll;
    }

    @Override
    public void backward(INDArray params, INDArray x, Network.Workspace w, INDArray dOut, INDArray grads) {
        Workspace ws = (Workspace) w;
        for (int k = 0; k < towers.length; k++) {
            ws.dOut[k].assign(dOut.get(NDArrayIndex.all(), NDArrayIndex.interval(outOffset[k], outOffset[k + 1])));
            towers[k].backward(towerParams(params, k), ws.x[k], ws.ws[k], ws.dOut[k], towerParams(grads, k));
        }
    }
}
