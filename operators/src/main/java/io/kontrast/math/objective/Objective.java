package io.kontrast.math.objective;

import io.kontrast.math.HyperParams;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A contrastive objective on the online encoder's outputs for the two views of a batch.
 *
 * <p>The {@link ObjectiveLearner} encodes both views of the batch's N samples in one pass of 2N
 * rows and hands the objective those outputs in pair order: row {@code i < N} is sample i's first
 * view, row {@code N + i} its second. The objective returns the loss and writes dLoss/dOutput;
 * whatever else it needs (a predictor, a target network, a memory bank) it owns, with its state
 * named in {@link #state} for checkpoints.
 */
public interface Objective extends AutoCloseable {
    /** The name snapshots record, such as {@code simclr}. */
    String name();

    /** Whether it reads the backbone's last feature map ({@link Batch#featureMap}) and writes its gradient. */
    default boolean needsFeatureMap() {
        return false;
    }

    /** Whether the views must carry a target per sample ({@link Batch#targets}). */
    default boolean needsTargets() {
        return false;
    }

    /** Called once before the first step, with the online encoder's freshly initialised parameters. */
    default void init(INDArray onlineParams) {}

    /**
     * The loss of a batch, and dLoss/dz into {@code dz}.
     *
     * @param batch the views and the online outputs, in pair order
     * @param dz {@code [2N, dim]}, overwritten with dLoss/dz
     */
    double lossAndGradient(Batch batch, INDArray dz);

    /**
     * After the online parameters' update in a finite step: the objective's own update (its
     * parameters' SGD step at {@code learningRate}, a target network's EMA).
     */
    default void update(double learningRate, HyperParams hp, INDArray onlineParams) {}

    /** A step that was not finite: undo what {@link #lossAndGradient} changed (running statistics). */
    default void discard() {}

    /** The objective's learning state by name, in a fixed order; empty when it keeps none. */
    default Map<String, INDArray> state() {
        return Map.of();
    }

    /**
     * The share of the last step's samples its classifier head got right (context's positions,
     * sop's orders); NaN for objectives without one.
     */
    default double accuracy() {
        return Double.NaN;
    }

    /** Zeroes the objective's optimizer momentum (a rollback). */
    default void clearMomentum() {}

    @Override
    default void close() {}

    /** What one step hands the objective. */
    interface Batch {
        /** Samples N; the outputs have 2N rows. */
        int pairs();

        /** The online encoder's outputs {@code [2N, dim]}, pair order. */
        INDArray z();

        /** The instance of each of the N samples (its id, or the attribute naming its object); null when not given. */
        default String[] instances() {
            return null;
        }

        /** Each sample's target (context prediction: the second patch's position); null when the views carry none. */
        default int[] targets() {
            return null;
        }

        /**
         * The backbone's last feature map of the 2N views, {@code [2N, H·W·C]} (NHWC), pair
         * order; null unless the objective {@link #needsFeatureMap needs it}.
         */
        default INDArray featureMap() {
            return null;
        }

        /** Where the objective writes dLoss/dFeatureMap (overwriting it), pair order; null unless it needs the map. */
        default INDArray featureMapGradient() {
            return null;
        }

        /** The views themselves, {@code [2N, input size]}, pair order (a graph objective reads their structure). */
        default INDArray inputs() {
            return null;
        }

        /** The learner's step count before this step: draws seeded by it repeat after a restore. */
        default long step() {
            return 0;
        }

        /**
         * Encodes the batch's 2N views with {@code net}'s training-mode forward pass at {@code
         * params} (batch norm on the batch's statistics, none kept) into {@code out}, pair order;
         * the rows go through the network in the order the online encoder saw them.
         */
        void encode(io.kontrast.math.Network net, INDArray params, io.kontrast.math.Network.Workspace ws, INDArray out);
    }
}
