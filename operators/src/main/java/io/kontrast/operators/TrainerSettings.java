package io.kontrast.operators;

import static io.kontrast.operators.KontrastOptions.*;

import io.kontrast.math.Cnn;
import io.kontrast.math.Mlp;
import io.kontrast.math.MocoHyperParams;
import io.kontrast.math.Network;
import java.io.Serializable;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * The validated, immutable settings that operators receive. {@link #from} checks every option
 * and fails with an {@link InvalidOptionException} naming the first bad one.
 */
public record TrainerSettings(
        String modelId,
        String encoder,
        boolean batchNorm,
        int bnGroups,
        boolean headBatchNorm,
        int inputHeight,
        int inputWidth,
        MocoHyperParams hyperParams,
        int snapshotEverySteps,
        long maxSamples,
        long seed,
        ViewSettings views,
        int maxRecordBytes,
        int rollbackAfter,
        double collapseMinStd,
        String probeSet,
        int probeSize,
        boolean lanes,
        String overlap)
        implements Serializable {

    /** Augmentation and normalisation settings of the view builder. */
    public record ViewSettings(
            double cropMinScale,
            double flipProbability,
            double jitter,
            double noiseStd,
            float inputMean,
            float inputStd,
            long seed)
            implements Serializable {}

    public static TrainerSettings from(Configuration conf) {
        String modelId = conf.get(MODEL_ID);
        require(!modelId.isBlank(), MODEL_ID, "must not be blank");
        String encoder = conf.get(ENCODER);
        require(encoder.equals("mlp") || encoder.equals("cnn"), ENCODER, "must be one of [mlp, cnn], got '" + encoder + "'");
        int batch = conf.get(BATCH_SIZE);
        require(batch >= 2 && batch <= 65536, BATCH_SIZE, "must be in 2..65536, got " + batch);
        int queue = conf.get(QUEUE_SIZE);
        boolean symmetric = conf.get(SYMMETRIC_LOSS);
        int keysPerStep = symmetric ? 2 * batch : batch;
        require(
                queue >= keysPerStep && queue % keysPerStep == 0,
                QUEUE_SIZE,
                "must be a positive multiple of " + (symmetric ? "2 x " : "") + BATCH_SIZE.key() + " (" + keysPerStep + "), got " + queue);
        double t = conf.get(TEMPERATURE);
        require(t > 0 && t <= 10, TEMPERATURE, "must be in (0, 10], got " + t);
        double m = conf.get(KEY_MOMENTUM);
        require(m >= 0 && m < 1, KEY_MOMENTUM, "must be in [0, 1), got " + m);
        double lr = conf.get(BASE_LR);
        require(lr > 0 && lr < 100, BASE_LR, "must be in (0, 100), got " + lr);
        double mu = conf.get(SGD_MOMENTUM);
        require(mu >= 0 && mu < 1, SGD_MOMENTUM, "must be in [0, 1), got " + mu);
        double wd = conf.get(WEIGHT_DECAY);
        require(wd >= 0 && wd < 1, WEIGHT_DECAY, "must be in [0, 1), got " + wd);
        int warmup = conf.get(WARMUP_STEPS);
        require(warmup >= 0, WARMUP_STEPS, "must be >= 0, got " + warmup);
        int every = conf.get(SNAPSHOT_EVERY);
        require(every >= 1, SNAPSHOT_EVERY, "must be >= 1, got " + every);
        long max = conf.get(MAX_SAMPLES);
        require(max == 0 || max >= batch, MAX_SAMPLES,
                "must be 0 (never stop) or at least one batch (" + batch + "), got " + max);
        double crop = conf.get(CROP_MIN_SCALE);
        require(crop > 0 && crop <= 1, CROP_MIN_SCALE, "must be in (0, 1], got " + crop);
        double flip = conf.get(FLIP_PROBABILITY);
        require(flip >= 0 && flip <= 1, FLIP_PROBABILITY, "must be in [0, 1], got " + flip);
        double jitter = conf.get(JITTER);
        require(jitter >= 0 && jitter < 1, JITTER, "must be in [0, 1), got " + jitter);
        double noise = conf.get(NOISE_STD);
        require(noise >= 0 && noise <= 1, NOISE_STD, "must be in [0, 1], got " + noise);
        double std = conf.get(INPUT_STD);
        require(std > 0, INPUT_STD, "must be > 0, got " + std);
        int maxBytes = conf.get(MAX_RECORD_BYTES);
        require(maxBytes >= 64, MAX_RECORD_BYTES, "must be >= 64, got " + maxBytes);
        int rollbackAfter = conf.get(ROLLBACK_AFTER);
        require(rollbackAfter >= 1, ROLLBACK_AFTER, "must be >= 1, got " + rollbackAfter);
        double collapse = conf.get(COLLAPSE_MIN_STD);
        require(collapse >= 0 && collapse < 1, COLLAPSE_MIN_STD, "must be in [0, 1), got " + collapse);
        String probe = conf.get(PROBE_SET).trim();
        require(probe.isEmpty() || probe.equals("synthetic") || probe.equals("fashion-mnist") || probe.startsWith("fashion-mnist:"),
                PROBE_SET, "must be '', 'synthetic', 'fashion-mnist' or 'fashion-mnist:<dir>', got '" + probe + "'");
        int probeSize = conf.get(PROBE_SIZE);
        require(probeSize >= 200 && probeSize <= 60000, PROBE_SIZE, "must be in 200..60000, got " + probeSize);
        String overlap = conf.get(TRAINER_OVERLAP).trim();
        require(overlap.equals("auto") || overlap.equals("true") || overlap.equals("false"), TRAINER_OVERLAP,
                "must be one of [auto, true, false], got '" + overlap + "'");
        require(conf.get(VIEW_PARALLELISM) >= 1, VIEW_PARALLELISM, "must be >= 1");
        require(!conf.get(CHECKPOINT_INTERVAL).isNegative() && !conf.get(CHECKPOINT_INTERVAL).isZero(),
                CHECKPOINT_INTERVAL, "must be positive");

        int bnGroups = conf.get(BN_GROUPS);
        require(bnGroups >= 1 && batch % bnGroups == 0 && batch / bnGroups >= 2, BN_GROUPS,
                "must divide " + BATCH_SIZE.key() + " (" + batch + ") into groups of at least 2, got " + bnGroups);
        String schedule = conf.get(LR_SCHEDULE);
        require(schedule.equals("cosine-restarts") || schedule.equals("constant"), LR_SCHEDULE,
                "must be one of [cosine-restarts, constant], got '" + schedule + "'");
        long cycleSamples = conf.get(LR_CYCLE_SAMPLES);
        require(cycleSamples >= batch && cycleSamples <= (1L << 40), LR_CYCLE_SAMPLES,
                "must be at least one batch (" + batch + "), got " + cycleSamples);
        int cycleSteps = schedule.equals("constant") ? 0 : (int) Math.min(Integer.MAX_VALUE, (cycleSamples + batch - 1) / batch);
        MocoHyperParams hp =
                new MocoHyperParams(batch, queue, t, m, lr * batch / 256.0, mu, wd, warmup, symmetric, cycleSteps);
        long seed = conf.get(SEED);
        ViewSettings views =
                new ViewSettings(
                        crop, flip, jitter, noise, conf.get(INPUT_MEAN).floatValue(), (float) std, seed);
        return new TrainerSettings(
                modelId, encoder, conf.get(BATCH_NORM), bnGroups, conf.get(HEAD_BATCH_NORM), 28, 28, hp, every, max, seed, views, maxBytes, rollbackAfter, collapse, probe, probeSize, conf.get(TRAINER_LANES), overlap);
    }

    /**
     * Samples the trainer trains on before it stops: {@code maxSamples} rounded down to whole
     * batches (a step always takes a full batch), or 0 for no limit.
     */
    public long sampleBudget() {
        return maxSamples - maxSamples % hyperParams.batchSize();
    }

    public int inputSize() {
        return inputHeight * inputWidth;
    }

    /** A fresh (uninitialised) network of the configured encoder. */
    public Network network() {
        return encoder.equals("cnn")
                ? new Cnn(inputHeight, inputWidth, 32, 64, 256, 128, batchNorm, bnGroups, headBatchNorm)
                : new Mlp(mlpDims(), mlpBackboneLayers());
    }

    /** Backbone then head widths of the MLP encoder: 784 → 512 | → 512 → 128. */
    public int[] mlpDims() {
        return new int[] {inputSize(), 512, 512, 128};
    }

    public int mlpBackboneLayers() {
        return 1;
    }

    static void require(boolean ok, ConfigOption<?> option, String message) {
        if (!ok) {
            throw new InvalidOptionException(option.key(), message);
        }
    }

    /** A configuration value that cannot be used; names the option. */
    public static final class InvalidOptionException extends IllegalArgumentException {
        private final String option;

        public InvalidOptionException(String option, String message) {
            super("Invalid value for option '" + option + "': " + message);
            this.option = option;
        }

        public String option() {
            return option;
        }
    }
}
