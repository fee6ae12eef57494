package io.kontrast.operators.views;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;

/**
 * A view of a packed graph sample ({@code N} nodes, each its {@code F} features, its adjacency row
 * and 1 where it exists), in this order:
 *
 * <ol>
 *   <li>node dropping: each node but the centre removed, with its edges, with probability nodeDrop;
 *   <li>edge dropping: each edge removed (both ways) with probability edgeDrop;
 *   <li>feature masking: each of the {@code F} features set to 0 in every node with probability
 *       featureMask (GRACE's masking);
 *   <li>noise: Gaussian noise of noiseStd on every feature of every node that exists.
 * </ol>
 *
 * <p>The structure stays 0 and 1, absent nodes stay 0, and nothing is normalised. Draws come from
 * the generator it is given (the sample's own). Stateless; thread-safe.
 */
public final class GraphViews {
    private final ViewSettings s;
    private final int nodes;
    private final int features;
    private final int packed;

    public GraphViews(ViewSettings settings, int nodes, int packed) {
        if (!settings.graphs()) throw new IllegalArgumentException("graph views need graph settings");
        this.s = settings;
        this.nodes = nodes;
        this.packed = packed;
        this.features = packed - nodes - 1;
    }

    /**
     * DGI's corruption of {@code x} into {@code out}: the present nodes' features shuffled among
     * them (a random permutation), the structure kept. {@code scratch} holds at least twice the
     * nodes (the caller's, so that nothing is allocated per sample).
     */
    public void corrupt(float[] x, SplittableRandom rnd, float[] out, int[] scratch) {
        System.arraycopy(x, 0, out, 0, nodes * packed);
        int n = 0;
        for (int i = 0; i < nodes; i++) if (x[i * packed + features + nodes] != 0) scratch[n++] = i;
        // scratch[0, n): the present nodes; scratch[nodes, nodes + n): where each takes its features from.
        System.arraycopy(scratch, 0, scratch, nodes, n);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = scratch[nodes + i];
            scratch[nodes + i] = scratch[nodes + j];
            scratch[nodes + j] = t;
        }
        for (int k = 0; k < n; k++) System.arraycopy(x, scratch[nodes + k] * packed, out, scratch[k] * packed, features);
    }

    /**
     * DGI's corruption drawn from the batch: the structure of {@code view} (a view of sample
     * {@code self}), each of its present nodes given the features of a random present node of
     * another of the batch's first {@code count} samples (not marked in {@code skip}); the features
     * {@code masked} in the view masked here too (so that the two differ in their nodes' features
     * only), noise drawn anew on the others. Other samples' nodes are mostly from other parts of
     * the graph, as in DGI, whose corruption shuffles features over the whole graph; a shuffle
     * inside one neighbourhood keeps what its nodes have in common. A batch with no other sample
     * to draw from gives a node a random node of its own sample.
     */
    public void corruptFromBatch(float[] view, boolean[] masked, float[][] samples, boolean[] skip, int count, int self,
            SplittableRandom rnd, float[] out) {
        System.arraycopy(view, 0, out, 0, nodes * packed);
        for (int i = 0; i < nodes; i++) {
            if (view[i * packed + features + nodes] == 0) continue;
            float[] from = null;
            int node = 0;
            for (int tries = 0; tries < 16 && from == null; tries++) {
                int j = rnd.nextInt(count);
                int k = rnd.nextInt(nodes);
                if (j != self && (skip == null || !skip[j]) && samples[j][k * packed + features + nodes] != 0) {
                    from = samples[j];
                    node = k;
                }
            }
            if (from == null) {
                from = samples[self];
                for (int tries = 0; tries < 16; tries++) {
                    int k = rnd.nextInt(nodes);
                    if (from[k * packed + features + nodes] != 0) {
                        node = k;
                        break;
                    }
                }
            }
            System.arraycopy(from, node * packed, out, i * packed, features);
        }
        double noise = s.noiseStd();
        for (int f = 0; f < features; f++) {
            if (!masked[f] && noise == 0) continue;
            for (int i = 0; i < nodes; i++) {
                int at = i * packed + f;
                if (out[i * packed + features + nodes] == 0) continue;
                out[at] = masked[f] ? 0 : out[at] + (float) (noise * VectorViews.gaussian(rnd));
            }
        }
    }

    /** The features per node. */
    public int features() {
        return features;
    }

    /** One view of {@code x} into {@code out}. */
    public void view(float[] x, SplittableRandom rnd, float[] out) {
        view(x, rnd, out, null);
    }

    /** One view of {@code x} into {@code out}, writing which features it masked into {@code masked} (null: not wanted). */
    public void view(float[] x, SplittableRandom rnd, float[] out, boolean[] masked) {
        System.arraycopy(x, 0, out, 0, nodes * packed);
        // Node dropping: a node other than the centre leaves the view with its edges.
        double nodeDrop = s.nodeDrop();
        for (int i = 1; i < nodes; i++) {
            if (out[i * packed + features + nodes] != 0 && rnd.nextDouble() < nodeDrop) {
                java.util.Arrays.fill(out, i * packed, (i + 1) * packed, 0f);
                for (int j = 0; j < nodes; j++) out[j * packed + features + i] = 0;
            }
        }
        double drop = s.edgeDrop();
        for (int i = 0; i < nodes; i++) {
            for (int j = i + 1; j < nodes; j++) {
                if (out[i * packed + features + j] != 0 && rnd.nextDouble() < drop) {
                    out[i * packed + features + j] = 0;
                    out[j * packed + features + i] = 0;
                }
            }
        }
        maskAndNoise(out, rnd, masked);
    }

    /** Feature masking and noise, in place; which features were masked into {@code masked} (may be null). */
    private void maskAndNoise(float[] out, SplittableRandom rnd, boolean[] masked) {
        double mask = s.featureMask();
        double noise = s.noiseStd();
        // Feature after feature: masked in every node, or noise on every present node's value.
        for (int f = 0; f < features; f++) {
            boolean off = rnd.nextDouble() < mask;
            if (masked != null) masked[f] = off;
            if (!off && noise == 0) continue;
            for (int i = 0; i < nodes; i++) {
                int at = i * packed + f;
                if (out[i * packed + features + nodes] == 0) continue;
                out[at] = off ? 0 : out[at] + (float) (noise * VectorViews.gaussian(rnd));
            }
        }
    }
}
