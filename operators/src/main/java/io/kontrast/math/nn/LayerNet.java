package io.kontrast.math.nn;

import io.kontrast.math.Lanes;
import io.kontrast.math.Network;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * An encoder built from an {@link EncoderSpec}: a list of layers, backbone then head.
 *
 * <p>Memory, after llm.c: one flat parameter buffer carved into per-layer views (gradients and
 * the optimizer's state share its layout), one separate buffer of running statistics, and per
 * {@link Workspace} one arena holding every activation, every activation gradient and every
 * layer's scratch for one batch size, laid out when the workspace is built. A training step
 * allocates nothing matrix-sized.
 *
 * <p>The arena plan ({@link #newWorkspace}): each layer gets an output and an output gradient,
 * except that {@code flatten} reuses its input's memory, and {@code relu} works in place where
 * the layer before does not need its output and nothing else reads it (not on the network's
 * input, a residual block's input, or the backbone's output, which is the representation). No
 * gradient is computed where none flows: into the network's input, and so through the layers
 * before the first one with parameters.
 *
 * <p>Activations are NHWC: the network's input is each sample's values in (h, w, c) order.
 */
public final class LayerNet implements Network {
    private final String architecture;
    private final EncoderSpec spec;
    private final DataType dtype;
    private final int bnGroups;
    private final List<Layer> backbone;
    private final List<Layer> head;
    private final List<Layer> all = new ArrayList<>();
    private final long paramCount;
    private final long statsCount;
    /** The backbone's last layer whose output has more than one location (its last feature map), or -1. */
    private final int featureMapIndex;
    /** Whether workspaces fuse a linear layer with the ReLU after it (see {@link Node#fusedRelu}). */
    private boolean fuse = true;
    /** Whether every layer may run its forward pass beside another workspace's (asked at every step). */
    private final boolean concurrentForward;
    /** An activation's place: an array of its own rather than the arena. */
    private static final long STANDALONE = -2;

    /**
     * @param bnGroups in training, batch norm normalises each of this many equal, consecutive
     *     groups of a batch with the group's own statistics (split batch norm); 1: the whole batch
     * @param dtype FLOAT for training; DOUBLE for gradient checks
     */
    public LayerNet(String architecture, EncoderSpec spec, int bnGroups, DataType dtype) {
        if (bnGroups < 1) {
            throw new IllegalArgumentException("bnGroups must be >= 1: " + bnGroups);
        }
        this.architecture = architecture;
        this.spec = spec;
        this.dtype = dtype;
        this.bnGroups = bnGroups;
        this.backbone = buildChain(spec.backbone(), spec.input(), "backbone");
        this.head = buildChain(spec.head(), backbone.get(backbone.size() - 1).out, "head");
        long p = 0;
        long s = 0;
        for (Layer l : backbone) p = layout(l, p);
        for (Layer l : head) p = layout(l, p);
        for (Layer l : all) {
            l.statsOffset = s;
            s += l.statsCount();
        }
        paramCount = p;
        statsCount = s;
        int map = -1;
        for (int i = 0; i < backbone.size(); i++) {
            Shape o = backbone.get(i).out;
            if (o.height() * o.width() > 1) map = i;
        }
        featureMapIndex = map;
        concurrentForward = all.stream().allMatch(Layer::concurrentForward);
    }

    public LayerNet(String architecture, EncoderSpec spec, int bnGroups) {
        this(architecture, spec, bnGroups, DataType.FLOAT);
    }

    private List<Layer> buildChain(List<LayerSpec> specs, Shape in, String prefix) {
        List<Layer> layers = new ArrayList<>();
        Shape s = in;
        for (int i = 0; i < specs.size(); i++) {
            Layer l = build(specs.get(i), s, prefix + "." + i);
            layers.add(l);
            s = l.out;
        }
        return layers;
    }

    private Layer build(LayerSpec s, Shape in, String name) {
        return switch (s.kind()) {
            case "conv2d" -> new Conv2d(name, in, s.out(), s.kernel(), s.stride(), s.padding());
            case "conv1d" -> new Conv2d(name, in, s.out(), s.kernel(), s.stride(), s.padding(), true);
            case "batch_norm" -> new BatchNorm(name, in);
            case "relu" -> new Relu(name, in);
            case "max_pool2d" -> new MaxPool2d(name, in, s.kernel(), s.stride());
            case "avg_pool2d" -> new AvgPool2d(name, in, s.kernel(), s.stride());
            case "global_avg_pool" -> new GlobalAvgPool(name, in);
            case "flatten" -> new Flatten(name, in);
            case "linear" -> new Linear(name, in, s.out());
            case "l2_normalize" -> new L2Normalize(name, in);
            case "gru" -> new Gru(name, in, s.out(), s.everyStep());
            case "embedding" -> new Embedding(name, in, s.vocab(), s.out());
            case "graph_conv" -> new GraphConv(name, in, spec.input(), s.out());
            case "graph_centre" -> new GraphCentre(name, in);
            case "residual" -> {
                if (s.body().isEmpty()) {
                    throw new IllegalArgumentException("layer " + name + " (residual): needs a body of at least one layer");
                }
                yield new Residual(name, in, buildChain(s.body(), in, name + ".body"), buildChain(s.shortcut(), in, name + ".shortcut"));
            }
            default -> throw new IllegalArgumentException("layer " + name + ": unknown kind '" + s.kind() + "'; known: "
                    + new java.util.TreeSet<>(LayerSpec.KINDS));
        };
    }

    /** Depth-first: the layer's own parameters, then its children's. */
    private long layout(Layer l, long offset) {
        l.index = all.size();
        all.add(l);
        l.paramOffset = offset;
        long o = offset + l.paramCount();
        for (Layer c : l.children()) o = layout(c, o);
        return o;
    }

    /** This network, with workspaces made from now on running every layer on its own (to test the fused passes against). */
    LayerNet unfused() {
        fuse = false;
        return this;
    }

    List<Layer> backbone() {
        return backbone;
    }

    List<Layer> head() {
        return head;
    }

    public EncoderSpec spec() {
        return spec;
    }

    public DataType dataType() {
        return dtype;
    }

    public int bnGroups() {
        return bnGroups;
    }

    @Override
    public String architecture() {
        return architecture;
    }

    public Shape inputShape() {
        return spec.input();
    }

    @Override
    public int inputDim() {
        return spec.input().size();
    }

    @Override
    public int outputDim() {
        return (head.isEmpty() ? backbone : head).get((head.isEmpty() ? backbone : head).size() - 1).out.size();
    }

    @Override
    public int representationDim() {
        return backbone.get(backbone.size() - 1).out.size();
    }

    @Override
    public long paramCount() {
        return paramCount;
    }

    @Override
    public long statsCount() {
        return statsCount;
    }

    private boolean hasBatchNorm() {
        return statsCount > 0;
    }

    @Override
    public boolean shufflesKeys() {
        return hasBatchNorm() && bnGroups > 1;
    }

    @Override
    public double forwardFlops() {
        double f = 0;
        for (Layer l : backbone) f += l.flops();
        for (Layer l : head) f += l.flops();
        return f;
    }

    @Override
    public double firstLayerFlops() {
        // The first layer with parameters: no gradient flows into its input (the layers before it,
        // such as a flatten, have no backward pass at all).
        for (Layer l : backbone) {
            if (hasParams(l)) return l.flops();
        }
        return backbone.get(0).flops();
    }

    @Override
    public INDArray newParams() {
        return Nd4j.create(dtype, paramCount);
    }

    @Override
    public INDArray newStats() {
        return Nd4j.create(dtype, Math.max(1, statsCount));
    }

    /** A parameter tensor: its name ({@code <layer>.<suffix>}), layer, offset in the flat buffer and shape. */
    public record Param(String name, String layer, String kind, long offset, long[] shape) {
        public long size() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }
    }

    /** Every parameter tensor, in layout order. */
    public List<Param> params() {
        List<Param> out = new ArrayList<>();
        for (Layer l : all) {
            long o = l.paramOffset;
            for (Layer.Tensor t : l.tensors()) {
                out.add(new Param(l.name + "." + t.suffix(), l.name, l.kind(), o, t.shape()));
                o += t.size();
            }
        }
        return out;
    }

    /** A parameter tensor of this network inside a flat buffer, by name (see {@link #params()}). */
    public INDArray param(INDArray flat, String name) {
        for (Param p : params()) {
            if (p.name().equals(name)) {
                return view(flat, p.offset(), p.shape());
            }
        }
        throw new IllegalArgumentException("no parameter " + name);
    }

    private static INDArray view(INDArray flat, long offset, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        INDArray v = flat.get(NDArrayIndex.interval(offset, offset + n));
        return shape.length == 1 ? v : v.reshape('c', shape);
    }

    @Override
    public void init(INDArray params, INDArray stats, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] p = new double[(int) paramCount];
        double[] s = new double[(int) Math.max(1, statsCount)];
        for (Layer l : all) l.init(p, s, rnd);
        params.assign(Nd4j.createFromArray(p).castTo(params.dataType()));
        if (statsCount > 0) {
            stats.assign(Nd4j.createFromArray(s).castTo(stats.dataType()));
        }
    }

    // ---- Passes --------------------------------------------------------------------------------

    @Override
    public Workspace newWorkspace(int batch) {
        return new Workspace(batch, false, false);
    }

    /**
     * A workspace whose backward pass also computes dLoss/dInput (see {@link #inputGradient}):
     * for a network that sits on another one's output, as a predictor head does.
     */
    public Workspace newWorkspaceWithInputGradient(int batch) {
        return new Workspace(batch, true, false);
    }

    /** Whether the backbone has a feature map (an output of more than one location), for local objectives. */
    public boolean hasFeatureMap() {
        return featureMapIndex >= 0;
    }

    /** The shape of the backbone's last feature map. */
    /**
     * The receptive field of the feature map along its width (a sequence's time): {@code {size,
     * jump}}, the input steps one location sees and the input steps between neighbouring
     * locations. Two locations {@code d} apart see disjoint inputs when {@code d · jump ≥ size}.
     */
    public int[] featureMapReceptiveField() {
        if (featureMapIndex < 0) throw new IllegalStateException(architecture + " has no feature map");
        return receptiveField(backbone.subList(0, featureMapIndex + 1));
    }

    private static int[] receptiveField(List<Layer> layers) {
        int size = 1;
        int jump = 1;
        for (Layer l : layers) {
            int[] w = l instanceof Conv2d c ? new int[] {c.k, c.s}
                    : l instanceof MaxPool2d m ? new int[] {m.k, m.s}
                    : l instanceof AvgPool2d a ? new int[] {a.k, a.s}
                    : l instanceof Residual r ? receptiveField(r.body)
                    : new int[] {1, 1};
            size += (w[0] - 1) * jump;
            jump *= w[1];
        }
        return new int[] {size, jump};
    }

    public Shape featureMapShape() {
        if (featureMapIndex < 0) throw new IllegalStateException(architecture + " has no feature map");
        return backbone.get(featureMapIndex).out;
    }

    /**
     * A workspace that keeps the backbone's last feature map after the forward pass ({@link
     * #featureMap}) and takes a gradient into it in backward ({@link #backward(INDArray, INDArray,
     * Network.Workspace, INDArray, INDArray, INDArray)}).
     */
    public Workspace newWorkspaceWithFeatureMap(int batch) {
        if (featureMapIndex < 0) throw new IllegalStateException(architecture + " has no feature map");
        return new Workspace(batch, false, true);
    }

    /** The last forward pass's feature map {@code [batch, H·W·C]} (NHWC), on a workspace made with {@link #newWorkspaceWithFeatureMap}. */
    public INDArray featureMap(Network.Workspace ws) {
        Workspace w = (Workspace) ws;
        if (!w.keepsFeatureMap) throw new IllegalStateException("the workspace was not made with a feature map");
        return w.backbone[featureMapIndex].out.flat;
    }

    /**
     * {@link #backward(INDArray, INDArray, Network.Workspace, INDArray, INDArray)} with a further
     * gradient {@code dFeatureMap} on the feature map, added to what flows into it from above.
     */
    public void backward(INDArray params, INDArray x, Network.Workspace w, INDArray dOut, INDArray grads, INDArray dFeatureMap) {
        Workspace ws = (Workspace) w;
        if (!ws.keepsFeatureMap) throw new IllegalStateException("the workspace was not made with a feature map");
        backward(ws, params, dOut, grads, featureMapIndex, dFeatureMap, null);
    }

    /** dLoss/dInput of the last backward pass on a workspace made with {@link #newWorkspaceWithInputGradient}. */
    public INDArray inputGradient(Network.Workspace ws) {
        Workspace w = (Workspace) ws;
        if (w.inputGrad == null) {
            throw new IllegalStateException("the workspace was not made with an input gradient");
        }
        return w.inputGrad.flat;
    }

    @Override
    public INDArray forward(INDArray params, INDArray stats, INDArray x, Network.Workspace w, boolean training) {
        Workspace ws = (Workspace) w;
        if (!training && stats == null && hasBatchNorm()) {
            throw new IllegalArgumentException("evaluation needs the running statistics");
        }
        if (x.rows() != ws.batch || x.columns() != inputDim()) {
            throw new IllegalArgumentException("expected a [" + ws.batch + ", " + inputDim() + "] input, got "
                    + java.util.Arrays.toString(x.shape()));
        }
        if (x != ws.input.flat) {
            ws.input.flat.assign(x);
        }
        Pass pass = new Pass(ws.views(params), null, stats == null ? null : ws.statViews(stats), training);
        for (Node n : ws.backbone) n.layer.forward(n, pass);
        for (Node n : ws.head) n.layer.forward(n, pass);
        return ws.last().out.flat;
    }

    /**
     * The backbone's output, in the order snapshots publish it: a backbone that ends by flattening
     * a feature map ({@code cnn1d-steps}) holds it in (h, w, c) order, and consumers flatten in (c,
     * h, w) order, so it is permuted into a buffer of the workspace's own.
     */
    @Override
    public INDArray representation(Network.Workspace ws) {
        Workspace w = (Workspace) ws;
        Node last = w.backbone[w.backbone.length - 1];
        if (!(last.layer instanceof Flatten) || last.in.shape.area() == 1) return last.out.flat;
        Shape in = last.in.shape;
        if (w.published == null) w.published = Nd4j.create(dtype, w.batch, in.size());
        w.published.reshape('c', w.batch, in.channels(), in.height(), in.width()).assign(last.in.nhwc.permute(0, 3, 1, 2));
        return w.published;
    }

    @Override
    public INDArray outputGradient(Network.Workspace ws) {
        return ((Workspace) ws).last().dOut.flat;
    }

    @Override
    public void backward(INDArray params, INDArray x, Network.Workspace w, INDArray dOut, INDArray grads) {
        backward((Workspace) w, params, dOut, grads, -1, null, null);
    }

    /** With {@link Lanes}, each layer splits its backward pass over the two as it can (a linear layer's two GEMMs). */
    @Override
    public void backward(INDArray params, INDArray x, Network.Workspace w, INDArray dOut, INDArray grads, Lanes lanes) {
        backward((Workspace) w, params, dOut, grads, -1, null, lanes);
    }

    /** Whether every layer's forward pass may run beside another workspace's (see {@link Layer#concurrentForward}). */
    @Override
    public boolean concurrentForward() {
        return concurrentForward;
    }

    private void backward(Workspace ws, INDArray params, INDArray dOut, INDArray grads, int addAt, INDArray add, Lanes lanes) {
        INDArray d = ws.last().dOut.flat;
        if (dOut != d) {
            d.assign(dOut);
        }
        Pass pass = new Pass(ws.views(params), ws.views(grads), null, true);
        for (int i = ws.head.length - 1; i >= 0; i--) backward(ws.head[i], pass, lanes);
        for (int i = ws.backbone.length - 1; i >= 0; i--) {
            // Everything above has written its gradient into this layer's output gradient.
            if (i == addAt) ws.backbone[i].dOut.flat.addi(add);
            backward(ws.backbone[i], pass, lanes);
        }
    }

    private static void backward(Node n, Pass pass, Lanes lanes) {
        if (lanes == null) {
            n.layer.backward(n, pass);
        } else {
            n.layer.backward(n, pass, lanes);
        }
    }

    /** The arena of one batch size and every layer's place in it. */
    public final class Workspace implements Network.Workspace {
        final int batch;
        final boolean keepsFeatureMap;
        final int groups;
        final Act input;
        final Act inputGrad;
        final Node[] backbone;
        final Node[] head;
        final INDArray arena;
        private final List<Act> acts = new ArrayList<>();
        private final List<long[]> actOffsets = new ArrayList<>();
        private long size;
        private final Map<INDArray, INDArray[][]> viewCache = new IdentityHashMap<>();
        private final Map<INDArray, INDArray[][]> statCache = new IdentityHashMap<>();
        /** The representation in published order, where it differs from the backbone's output (see {@link #representation}). */
        private INDArray published;

        Workspace(int batch, boolean withInputGradient, boolean keepFeatureMap) {
            this.batch = batch;
            this.keepsFeatureMap = keepFeatureMap;
            // Evaluation batches of any size use one group.
            this.groups = bnGroups > 1 && batch % bnGroups == 0 ? bnGroups : 1;
            input = act(spec.input(), -1);
            inputGrad = withInputGradient ? act(spec.input(), -1) : null;
            boolean headless = LayerNet.this.head.isEmpty();
            backbone = chain(LayerNet.this.backbone, input, inputGrad, true, false, null, headless,
                    keepFeatureMap ? featureMapIndex : -1);
            Node lastBackbone = backbone[backbone.length - 1];
            head = chain(LayerNet.this.head, lastBackbone.out, lastBackbone.dOut, true,
                    lastBackbone.layer.backwardNeedsOutput(), null, true);
            arena = Nd4j.create(dtype, Math.max(1, size));
            for (int i = 0; i < acts.size(); i++) {
                Act a = acts.get(i);
                long offset = actOffsets.get(i)[0];
                if (offset == STANDALONE) {
                    INDArray own = Nd4j.create(dtype, (long) batch * a.shape.size());
                    a.bind(own, 0);
                } else {
                    a.bind(arena, offset);
                }
            }
            bindAll(backbone);
            bindAll(head);
        }

        @Override
        public int batch() {
            return batch;
        }

        /** Arena bytes of this workspace. */
        public long arenaBytes() {
            return size * dtype.width();
        }

        Node last() {
            return head.length > 0 ? head[head.length - 1] : backbone[backbone.length - 1];
        }

        private long take(long n) {
            long o = size;
            size += (n + 15) / 16 * 16;
            return o;
        }

        /** A new activation of {@code shape} at {@code offset} of the arena, or a new place in it (offset -1). */
        private Act act(Shape shape, long offset) {
            Act a = new Act(shape, batch);
            acts.add(a);
            actOffsets.add(new long[] {offset == -1 ? take((long) batch * shape.size()) : offset});
            return a;
        }

        private long offsetOf(Act a) {
            return actOffsets.get(acts.indexOf(a))[0];
        }

        /** The same memory as {@code a}, seen in another shape. */
        private Act sameMemory(Act a, Shape shape) {
            return act(shape, offsetOf(a));
        }

        private INDArray slice(long offset, long length) {
            return arena.get(NDArrayIndex.interval(offset, offset + length));
        }

        /**
         * Plans a chain of layers on input {@code in} (gradient {@code dIn}, null where none is
         * needed). {@code shared}: something else reads {@code in}; {@code needed}: its producer
         * reads it in backward. {@code lastDOut}: the gradient the chain's last layer must read
         * (a residual block's), or null for a new one.
         */
        private Node[] chain(List<Layer> layers, Act in, Act dIn, boolean shared, boolean needed, Act lastDOut, boolean ownLast) {
            return chain(layers, in, dIn, shared, needed, lastDOut, ownLast, -1);
        }

        /** {@code keep}: the index of a layer whose output no later layer may overwrite (the feature map), or -1. */
        private Node[] chain(List<Layer> layers, Act in, Act dIn, boolean shared, boolean needed, Act lastDOut, boolean ownLast,
                int keep) {
            Node[] nodes = new Node[layers.size()];
            Act cur = in;
            Act curD = dIn;
            for (int i = 0; i < nodes.length; i++) {
                Layer l = layers.get(i);
                Node n = new Node(l);
                boolean inputWritable = !shared && !needed;
                boolean last = i == nodes.length - 1;
                boolean fixedD = last && lastDOut != null;
                n.in = cur;
                n.dIn = curD;
                boolean grad = curD != null || hasParams(l);
                if (last && ownLast) {
                    // The network's output and its gradient: arrays of their own, whole buffers
                    // that the learner reads and writes directly.
                    n.out = act(l.out, STANDALONE);
                    n.dOut = grad ? act(l.out, STANDALONE) : null;
                    if (l instanceof Residual r) {
                        Act bodyDIn = curD != null ? act(cur.shape, -1) : null;
                        n.body = chain(r.body, cur, bodyDIn, true, needed, n.dOut, false);
                        n.shortcut = chain(r.shortcut, cur, curD, true, needed, n.dOut, false);
                    }
                } else if (l instanceof Residual r) {
                    n.out = act(l.out, -1);
                    n.dOut = grad ? (fixedD ? lastDOut : act(l.out, -1)) : null;
                    Act bodyDIn = curD != null ? act(cur.shape, -1) : null;
                    n.body = chain(r.body, cur, bodyDIn, true, needed, n.dOut, false);
                    n.shortcut = chain(r.shortcut, cur, curD, true, needed, n.dOut, false);
                    needed = false;
                    shared = false;
                } else if (l.alias()) {
                    n.out = sameMemory(cur, l.out);
                    n.dOut = curD == null ? null : fixedD ? lastDOut : sameMemory(curD, l.out);
                } else if (l.inPlace() && !shared && !needed && !fixedD) {
                    n.out = sameMemory(cur, l.out);
                    n.dOut = curD == null ? null : sameMemory(curD, l.out);
                    needed = l.backwardNeedsOutput();
                    if (fuse && l instanceof Relu && i > 0 && nodes[i - 1].layer instanceof Linear && nodes[i - 1].dOut != null) {
                        // The linear layer below applies this ReLU in its bias pass, and undoes it in backward.
                        nodes[i - 1].fusedRelu = true;
                        n.fusedAway = true;
                    }
                } else {
                    n.out = act(l.out, -1);
                    n.dOut = grad ? (fixedD ? lastDOut : act(l.out, -1)) : null;
                    needed = l.backwardNeedsOutput();
                    shared = false;
                }
                n.inputWritable = inputWritable;
                long[] sizes = l.scratch(batch, groups, n.dIn != null, n.inputWritable);
                long[] offsets = new long[sizes.length];
                for (int s = 0; s < sizes.length; s++) offsets[s] = sizes[s] > 0 ? take(sizes[s]) : -1;
                n.state = new long[][] {sizes, offsets};
                nodes[i] = n;
                cur = n.out;
                curD = n.dOut;
                if (i == keep) shared = true; // read after the pass: no later layer works in its memory
            }
            return nodes;
        }

        private void bindAll(Node[] nodes) {
            for (Node n : nodes) {
                long[][] plan = (long[][]) n.state;
                n.scratch = new INDArray[plan[0].length];
                n.arena = arena;
                n.networkInput = input;
                n.scratchOffsets = plan[1];
                for (int s = 0; s < plan[0].length; s++) {
                    n.scratch[s] = plan[1][s] < 0 ? null : slice(plan[1][s], plan[0][s]);
                }
                bindAll(n.body);
                bindAll(n.shortcut);
                n.state = n.layer.bind(n, groups);
            }
        }

        INDArray[][] views(INDArray flat) {
            INDArray[][] v = viewCache.get(flat);
            if (v == null) {
                if (viewCache.size() >= 8) viewCache.clear();
                v = new INDArray[all.size()][];
                for (Layer l : all) {
                    List<Layer.Tensor> ts = l.tensors();
                    v[l.index] = new INDArray[ts.size()];
                    long o = l.paramOffset;
                    for (int t = 0; t < ts.size(); t++) {
                        v[l.index][t] = view(flat, o, ts.get(t).shape());
                        o += ts.get(t).size();
                    }
                }
                viewCache.put(flat, v);
            }
            return v;
        }

        INDArray[][] statViews(INDArray flat) {
            INDArray[][] v = statCache.get(flat);
            if (v == null) {
                if (statCache.size() >= 8) statCache.clear();
                v = new INDArray[all.size()][];
                for (Layer l : all) {
                    long c = l.statsCount() / 2;
                    v[l.index] = c == 0 ? null
                            : new INDArray[] {view(flat, l.statsOffset, c), view(flat, l.statsOffset + c, c)};
                }
                statCache.put(flat, v);
            }
            return v;
        }
    }

    private static boolean hasParams(Layer l) {
        if (l.paramCount() > 0) return true;
        for (Layer c : l.children()) {
            if (hasParams(c)) return true;
        }
        return false;
    }
}
