package io.kontrast.math;

import java.io.Serializable;

/**
 * Hyper-parameters of a MoCo learner. Immutable; validated by the job's options before use.
 *
 * @param batchSize samples per step
 * @param queueSize K, the number of negative keys; a multiple of the batch size
 * @param temperature T in InfoNCE
 * @param keyMomentum m in {@code θ_k ← m θ_k + (1 - m) θ_q}
 * @param learningRate SGD learning rate after warm-up
 * @param sgdMomentum SGD momentum
 * @param weightDecay L2 weight decay added to the gradient
 * @param warmupSteps steps of linear warm-up from 0 to the learning rate; constant afterwards
 * @param symmetric also score the views the other way round (query from the second view, key from
 *     the first) and sum the two losses; twice the compute, and 2 x batch keys enqueued per step
 */
public record MocoHyperParams(
        int batchSize,
        int queueSize,
        double temperature,
        double keyMomentum,
        double learningRate,
        double sgdMomentum,
        double weightDecay,
        int warmupSteps,
        boolean symmetric)
        implements Serializable {

    public MocoHyperParams(int batchSize, int queueSize, double temperature, double keyMomentum,
            double learningRate, double sgdMomentum, double weightDecay, int warmupSteps) {
        this(batchSize, queueSize, temperature, keyMomentum, learningRate, sgdMomentum, weightDecay, warmupSteps, false);
    }

    /** Keys enqueued per step. */
    public int keysPerStep() {
        return symmetric ? 2 * batchSize : batchSize;
    }

    /** MoCo v2 reference values scaled to the batch size: lr = 0.06 × batch / 256. */
    public static MocoHyperParams mocoV2(int batchSize, int queueSize) {
        return new MocoHyperParams(
                batchSize, queueSize, 0.2, 0.99, 0.06 * batchSize / 256.0, 0.9, 5e-4, 100);
    }

    /** Learning rate at a step: linear warm-up, then constant (a stream has no last epoch). */
    public double learningRateAt(long step) {
        if (warmupSteps > 0 && step < warmupSteps) {
            return learningRate * (step + 1) / warmupSteps;
        }
        return learningRate;
    }
}
