package io.kontrast.data;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A stochastic block model graph, streamed as node neighbourhoods: {@value #NODES} nodes in
 * {@value #BLOCKS} blocks of equal size; each node links to about {@value #DEGREE_IN} random
 * nodes of its own block and {@value #DEGREE_OUT} of the others (undirected, so degrees average
 * twice that). A node's {@value #FEATURES} features are its block's centroid, weak (half a
 * standard normal), under standard Gaussian noise, so centred and of about unit variance: alone
 * they say little about the block, a neighbourhood's average much more.
 *
 * <p>A sample is the neighbourhood of one centre node: the centre first, then its neighbours,
 * then theirs, up to {@value #MAX_NODES} nodes, with every edge among them; its label is the
 * centre's block. It is kept packed, node after node, as {@link #ROW} bytes: the node's
 * features (a byte {@code b} for the value {@code (b - 128) / 32}), its adjacency row ({@value #MAX_NODES} values, 255 where an edge is) and
 * 255 where the node exists; absent nodes are all 0. Train neighbourhoods centre on every node
 * not a multiple of 6, test ones on the others. Deterministic.
 */
public final class SbmGraphs {
    public static final int BLOCKS = 10;
    public static final int NODES = 30_000;
    public static final int FEATURES = 16;
    public static final int MAX_NODES = 32;
    public static final double DEGREE_IN = 3;
    public static final double DEGREE_OUT = 1.5;
    /** Bytes of one node in a packed sample: features, adjacency row, presence. */
    public static final int ROW = FEATURES + MAX_NODES + 1;

    private static final double SIGNAL = 0.5;
    /** A feature's value per byte step: a byte {@code b} holds the feature {@code (b - 128) · STEP}. */
    public static final double STEP = 1 / 32.0;

    private final int[] block = new int[NODES];
    private final byte[][] features = new byte[NODES][FEATURES];
    private final List<LinkedHashSet<Integer>> neighbours = new ArrayList<>();

    private static SbmGraphs graph;

    private SbmGraphs() {
        SplittableRandom rnd = new SplittableRandom(20_261_202L);
        double[][] centroid = new double[BLOCKS][FEATURES];
        for (double[] c : centroid) for (int f = 0; f < FEATURES; f++) c[f] = rnd.nextGaussian();
        int size = NODES / BLOCKS;
        for (int i = 0; i < NODES; i++) {
            block[i] = i % BLOCKS;
            neighbours.add(new LinkedHashSet<>());
            for (int f = 0; f < FEATURES; f++) {
                double v = SIGNAL * centroid[block[i]][f] + rnd.nextGaussian();
                features[i][f] = (byte) Math.max(0, Math.min(255, Math.round(128 + v / STEP)));
            }
        }
        for (int i = 0; i < NODES; i++) {
            int in = poisson(rnd, DEGREE_IN);
            for (int e = 0; e < in; e++) link(i, block[i] + BLOCKS * rnd.nextInt(size));
            int out = poisson(rnd, DEGREE_OUT);
            for (int e = 0; e < out; e++) {
                int other = (block[i] + 1 + rnd.nextInt(BLOCKS - 1)) % BLOCKS;
                link(i, other + BLOCKS * rnd.nextInt(size));
            }
        }
    }

    private void link(int a, int b) {
        if (a == b) return;
        neighbours.get(a).add(b);
        neighbours.get(b).add(a);
    }

    private static int poisson(SplittableRandom rnd, double mean) {
        double limit = Math.exp(-mean);
        double p = rnd.nextDouble();
        int k = 0;
        while (p > limit) {
            p *= rnd.nextDouble();
            k++;
        }
        return k;
    }

    private static synchronized SbmGraphs graph() {
        if (graph == null) graph = new SbmGraphs();
        return graph;
    }

    /** The {@code split} ("train" or "test") as a set of packed neighbourhoods, named {@code sbm-graphs/<split>}. */
    public static LabeledImages load(String split) {
        if (!split.equals("train") && !split.equals("test")) throw new IllegalArgumentException("split must be train or test, got " + split);
        SbmGraphs g = graph();
        boolean train = split.equals("train");
        List<Integer> centres = new ArrayList<>();
        for (int i = 0; i < NODES; i++) if ((i % 6 != 0) == train) centres.add(i);
        byte[] packed = new byte[centres.size() * MAX_NODES * ROW];
        int[] labels = new int[centres.size()];
        for (int s = 0; s < centres.size(); s++) {
            g.pack(centres.get(s), packed, s * MAX_NODES * ROW);
            labels[s] = g.block[centres.get(s)];
        }
        return new LabeledImages("sbm-graphs/" + split, MAX_NODES * ROW, 1, 1, packed, labels, null);
    }

    /** The neighbourhood of {@code centre}, packed at {@code at}. */
    private void pack(int centre, byte[] out, int at) {
        LinkedHashSet<Integer> nodes = new LinkedHashSet<>();
        nodes.add(centre);
        List<Integer> frontier = List.of(centre);
        while (nodes.size() < MAX_NODES && !frontier.isEmpty()) {
            List<Integer> next = new ArrayList<>();
            for (int n : frontier) {
                for (int m : neighbours.get(n)) {
                    if (nodes.size() == MAX_NODES) break;
                    if (nodes.add(m)) next.add(m);
                }
            }
            frontier = next;
        }
        Integer[] order = nodes.toArray(Integer[]::new);
        for (int i = 0; i < order.length; i++) {
            int base = at + i * ROW;
            System.arraycopy(features[order[i]], 0, out, base, FEATURES);
            for (int j = 0; j < order.length; j++) {
                if (neighbours.get(order[i]).contains(order[j])) out[base + FEATURES + j] = (byte) 255;
            }
            out[base + FEATURES + MAX_NODES] = (byte) 255;
        }
    }

    /** Nodes of packed sample {@code i} of a set: the rows whose presence byte is set. */
    public static int nodes(LabeledImages set, int i) {
        int n = 0;
        int at = i * set.pixelsPerImage();
        while (n < MAX_NODES && set.pixels()[at + n * ROW + FEATURES + MAX_NODES] != 0) n++;
        return n;
    }


    /** Fraction of the edges that join two nodes of one block (for tests and docs). */
    static double homophily() {
        SbmGraphs g = graph();
        long same = 0;
        long all = 0;
        for (int i = 0; i < NODES; i++) {
            for (int j : g.neighbours.get(i)) {
                all++;
                if (g.block[i] == g.block[j]) same++;
            }
        }
        return same / (double) all;
    }
}
