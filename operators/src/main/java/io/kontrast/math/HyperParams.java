package io.kontrast.math;

import java.io.Serializable;

/**
 * Hyper-parameters of a learner: its optimizer's and its objective's (each objective reads those it
 * uses). Immutable; validated by the job's options before use.
 *
 * @param batchSize samples per step
 * @param queueSize K, the number of negative keys (MoCo); a multiple of the batch size
 * @param temperature T in InfoNCE and NT-Xent
 * @param keyMomentum m in {@code θ_k ← m θ_k + (1 - m) θ_q}: MoCo's key encoder, BYOL's target
 * @param learningRate SGD learning rate after warm-up
 * @param sgdMomentum SGD momentum
 * @param weightDecay L2 weight decay added to the gradient
 * @param warmupSteps steps of linear warm-up from 0 to the learning rate
 * @param symmetric also score the views the other way round (query from the second view, key from
 *     the first) and sum the two losses; twice the compute, and 2 x batch keys enqueued per step
 * @param cycleSteps length of the first cosine cycle (each next one twice as long); 0 keeps the
 *     rate constant after warm-up
 */
public record HyperParams(
        int batchSize,
        int queueSize,
        double temperature,
        double keyMomentum,
        double learningRate,
        double sgdMomentum,
        double weightDecay,
        int warmupSteps,
        boolean symmetric,
        int cycleSteps)
        implements Serializable {

    public HyperParams(int batchSize, int queueSize, double temperature, double keyMomentum,
            double learningRate, double sgdMomentum, double weightDecay, int warmupSteps, boolean symmetric) {
        this(batchSize, queueSize, temperature, keyMomentum, learningRate, sgdMomentum, weightDecay, warmupSteps, symmetric, 0);
    }

    public HyperParams(int batchSize, int queueSize, double temperature, double keyMomentum,
            double learningRate, double sgdMomentum, double weightDecay, int warmupSteps) {
        this(batchSize, queueSize, temperature, keyMomentum, learningRate, sgdMomentum, weightDecay, warmupSteps, false);
    }

    /** Keys enqueued per step. */
    public int keysPerStep() {
        return symmetric ? 2 * batchSize : batchSize;
    }

    /** MoCo v2 reference values scaled to the batch size: lr = 0.06 × batch / 256. */
    public static HyperParams mocoV2(int batchSize, int queueSize) {
        return new HyperParams(
                batchSize, queueSize, 0.2, 0.99, 0.06 * batchSize / 256.0, 0.9, 5e-4, 100);
    }

    /**
     * Learning rate at a step. A stream has no last epoch, so the schedule never ends: cosine
     * annealing with warm restarts (SGDR), cycles of {@code cycleSteps}, then twice, four times...
     * as long, each from the full rate down to 0, so the rate is lowest at steps {@code
     * cycleSteps·(2^n − 1)}; or constant when {@code cycleSteps} is 0. Linear warm-up scales the
     * first {@code warmupSteps}.
     */
    public double learningRateAt(long step) {
        double lr = learningRate * cosineAt(step);
        if (warmupSteps > 0 && step < warmupSteps) {
            lr *= (step + 1) / (double) warmupSteps;
        }
        return lr;
    }

    /**
     * The schedule's cosine factor at a step, in [0, 1], without the warm-up: 1 at each cycle's
     * start, 0 at its end; 1 throughout when the rate is constant.
     */
    public double cosineAt(long step) {
        if (cycleSteps <= 0) return 1;
        long start = 0;
        long length = cycleSteps;
        while (step >= start + length) {
            start += length;
            length *= 2;
        }
        return 0.5 * (1 + Math.cos(Math.PI * (step - start) / length));
    }
}
