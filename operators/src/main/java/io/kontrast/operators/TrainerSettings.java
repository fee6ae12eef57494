package io.kontrast.operators;

import static io.kontrast.operators.KontrastOptions.*;

import io.kontrast.math.nn.EncoderSpec;
import io.kontrast.math.nn.LayerNet;
import io.kontrast.math.nn.LayerSpec;
import io.kontrast.math.nn.Presets;
import io.kontrast.math.nn.Shape;
import io.kontrast.math.nn.SpecJson;
import java.util.List;
import io.kontrast.math.HyperParams;
import io.kontrast.math.Network;
import io.kontrast.math.Learner;
import io.kontrast.math.MocoLearner;
import io.kontrast.math.objective.Clip;
import io.kontrast.math.objective.ContextPrediction;
import io.kontrast.math.objective.Cpc;
import io.kontrast.math.objective.DeepInfoMax;
import io.kontrast.math.objective.InstDisc;
import io.kontrast.math.objective.ObjectiveLearner;
import io.kontrast.math.objective.Siamese;
import io.kontrast.math.objective.SimClr;
import io.kontrast.replay.ReplayBuffer;
import org.nd4j.linalg.api.buffer.DataType;
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
        String encoderSpec,
        int resnetWidth,
        int cnnWidth,
        boolean batchNorm,
        int bnGroups,
        boolean headBatchNorm,
        String inputFormat,
        long maxPixels,
        int inputChannels,
        int inputHeight,
        int inputWidth,
        HyperParams hyperParams,
        ObjectiveSettings objective,
        ReplaySettings replay,
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
        String overlap,
        String inputParts,
        int inputVocab)
        implements Serializable {

    /** One part of a paired sample: its name in the record's {@code parts} and its shape. */
    public record Part(String name, Shape shape) {}

    /**
     * Parses {@code name=shape,name=shape} (such as {@code top=1x14x28,bottom=1x14x28}); each
     * shape as {@link Shape#parse} reads it.
     */
    public static List<Part> parseParts(String spec) {
        List<Part> parts = new java.util.ArrayList<>();
        for (String item : spec.split(",")) {
            String[] kv = item.trim().split("=", 2);
            if (kv.length != 2 || !kv[0].trim().matches("[A-Za-z0-9_-]+")) {
                throw new IllegalArgumentException("expected name=shape pairs such as top=1x14x28,bottom=1x14x28 (names of "
                        + "letters, digits, _ and -), got '" + item.trim() + "'");
            }
            String name = kv[0].trim();
            if (parts.stream().anyMatch(p -> p.name().equals(name))) throw new IllegalArgumentException("part '" + name + "' named twice");
            Shape shape = Shape.parse(kv[1]);
            if (!shape.isVector() && !shape.isSequence() && shape.channels() != 1 && shape.channels() != 3) {
                throw new IllegalArgumentException("part '" + name + "' must be an image with 1 or 3 channels, a sequence or a "
                        + "vector, got " + shape);
            }
            parts.add(new Part(name, shape));
        }
        return List.copyOf(parts);
    }

    /** The parts of a paired sample, in order; empty unless the samples are pairs. */
    public List<Part> parts() {
        return inputParts == null || inputParts.isEmpty() ? List.of() : parseParts(inputParts);
    }

    /** Whether the samples are pairs of parts (CLIP's two towers). */
    public boolean paired() {
        return inputParts != null && !inputParts.isEmpty();
    }

    /**
     * The contrastive objective and its own options.
     *
     * @param name moco, simclr, simsiam, byol or instdisc
     * @param predictorHidden the predictor's hidden width (simsiam, byol)
     * @param stopGradient simsiam's stop-gradient (false only to show collapse)
     * @param negatives instdisc's negatives per step
     * @param bankSize instdisc's bank capacity, in instances
     * @param bankMomentum instdisc's entry update momentum
     * @param instanceAttribute the Sample attribute naming a sample's instance
     * @param instDiscTemperature instdisc's softmax temperature
     * @param contextGap context's gap between patch cells, a fraction of the shorter side
     * @param contextJitter context's largest patch shift, a fraction of the shorter side
     * @param dgiCorruption dgi's corruption: {@code batch} or {@code neighbourhood}
     * @param clipMaxScale clip's largest logit scale
     * @param clipKindViews whether each of a pair's parts gets its own kind's views (else the vector views)
     * @param dimAcrossViews whether dim's local features score the other view's global feature (AMDIM)
     * @param clipInPartWeight the weight of clip's in-part term (each tower's NT-Xent between its part's two views)
     * @param sopOtherFraction sop's share of pairs whose later segment is another sample's (a third class)
     * @param sopContrastWeight the weight of sop's content term (NT-Xent between a sample's two segments); 0: none
     * @param byolMomentumSchedule whether byol's target momentum rises towards 1 over each cosine cycle
     */
    public record ObjectiveSettings(String name, int predictorHidden, boolean stopGradient, int negatives, int bankSize,
            double bankMomentum, String instanceAttribute, double instDiscTemperature, double contextGap,
            double contextJitter, int cpcStepsAhead, int cpcContextSize, int cpcMinOffset, String dgiCorruption,
            double clipMaxScale, double clipInPartWeight, boolean clipKindViews, boolean dimAcrossViews, double sopOtherFraction,
            double sopContrastWeight, boolean byolMomentumSchedule)
            implements Serializable {}

    /**
     * The replay buffer.
     *
     * @param policy none, reservoir or min-redundancy
     * @param size slots per trainer shard
     * @param stepsPerBatch training steps per batch of samples read
     * @param freshPerStep samples read that each step takes (the rest of its batch is drawn from the buffer)
     */
    public record ReplaySettings(ReplayBuffer.Policy policy, int size, int stepsPerBatch, int freshPerStep)
            implements Serializable {
        public boolean enabled() {
            return policy != ReplayBuffer.Policy.NONE;
        }
    }

    /** Encoder presets, with auto and custom. */
    public static final List<String> ENCODERS = List.of("auto", "mlp", "cnn", "cnn1d", "cnn1d-steps", "gru", "gcn", "resnet", "custom");

    /** Objectives the trainer knows. */
    public static final List<String> OBJECTIVES = List.of("moco", "simclr", "simsiam", "byol", "instdisc", "dim", "context", "sop", "cpc", "clip",
            "dgi");

    /** Augmentation and normalisation settings of the view builder. */
    public record ViewSettings(
            double cropMinScale,
            double flipProbability,
            double jitter,
            double noiseStd,
            float inputMean,
            float inputStd,
            long seed,
            double saturation,
            double hue,
            double jitterProbability,
            double grayscaleProbability,
            double blurProbability,
            double corruptionRate,
            double maskProbability,
            double scaling,
            double timeMask,
            int vocab,
            double tokenMask,
            double tokenReplace,
            int padId,
            int graphNodes,
            double edgeDrop,
            double featureMask,
            double nodeDrop,
            io.kontrast.operators.views.ChannelStats channelStats)
            implements Serializable {
        /** Everything but the token and graph settings: samples are neither. */
        public ViewSettings(double cropMinScale, double flipProbability, double jitter, double noiseStd, float inputMean,
                float inputStd, long seed, double saturation, double hue, double jitterProbability, double grayscaleProbability,
                double blurProbability, double corruptionRate, double maskProbability, double scaling, double timeMask) {
            this(cropMinScale, flipProbability, jitter, noiseStd, inputMean, inputStd, seed, saturation, hue, jitterProbability,
                    grayscaleProbability, blurProbability, corruptionRate, maskProbability, scaling, timeMask, 0,
                    TOKEN_MASK.defaultValue(), TOKEN_REPLACE.defaultValue(), PAD_ID.defaultValue(), 0, EDGE_DROP.defaultValue(),
                    FEATURE_MASK.defaultValue(), NODE_DROP.defaultValue(), null);
        }

        /**
         * The normalisation of samples of {@code channels} channels (see {@link
         * io.kontrast.operators.views.ChannelStats}): the configured per-channel statistics, or
         * {@link #inputMean} and {@link #inputStd} for every channel.
         */
        public io.kontrast.operators.views.ChannelStats normalization(int channels) {
            if (channelStats == null) return io.kontrast.operators.views.ChannelStats.uniform(channels, inputMean, inputStd);
            if (channelStats.channels() != channels) {
                throw new IllegalArgumentException("per-channel statistics for " + channelStats.channels() + " channels, samples of "
                        + channels);
            }
            return channelStats;
        }

        /** These settings with one normalisation mean and std per channel ({@code null}: {@link #inputMean} and {@link #inputStd} for all). */
        public ViewSettings withChannelStats(io.kontrast.operators.views.ChannelStats stats) {
            return new ViewSettings(cropMinScale, flipProbability, jitter, noiseStd, inputMean, inputStd, seed, saturation, hue,
                    jitterProbability, grayscaleProbability, blurProbability, corruptionRate, maskProbability, scaling, timeMask,
                    vocab, tokenMask, tokenReplace, padId, graphNodes, edgeDrop, featureMask, nodeDrop, stats);
        }

        /** Whether the samples are packed graphs of up to {@link #graphNodes} nodes. */
        public boolean graphs() {
            return graphNodes > 0;
        }

        /** These settings for graph samples of up to {@code nodes} nodes. */
        public ViewSettings withGraphViews(int nodes, double drop, double mask, double dropNodes) {
            return new ViewSettings(cropMinScale, flipProbability, jitter, noiseStd, inputMean, inputStd, seed, saturation, hue,
                    jitterProbability, grayscaleProbability, blurProbability, corruptionRate, maskProbability, scaling, timeMask,
                    vocab, tokenMask, tokenReplace, padId, nodes, drop, mask, dropNodes, channelStats);
        }

        /** Whether the samples are token ids. */
        public boolean tokens() {
            return vocab > 0;
        }

        /** These settings for token samples of a vocabulary of {@code vocabSize} ids. */
        public ViewSettings withTokenViews(int vocabSize, double mask, double replace, int pad) {
            return new ViewSettings(cropMinScale, flipProbability, jitter, noiseStd, inputMean, inputStd, seed, saturation, hue,
                    jitterProbability, grayscaleProbability, blurProbability, corruptionRate, maskProbability, scaling, timeMask,
                    vocabSize, mask, replace, pad, graphNodes, edgeDrop, featureMask, nodeDrop, channelStats);
        }

        /** Single-channel views: the colour and vector settings at their defaults. */
        public ViewSettings(double cropMinScale, double flipProbability, double jitter, double noiseStd, float inputMean,
                float inputStd, long seed) {
            this(cropMinScale, flipProbability, jitter, noiseStd, inputMean, inputStd, seed, SATURATION.defaultValue(),
                    HUE.defaultValue(), JITTER_PROBABILITY.defaultValue(), GRAYSCALE_PROBABILITY.defaultValue(),
                    BLUR_PROBABILITY.defaultValue());
        }

        /** Image views: the vector and sequence settings at their defaults. */
        public ViewSettings(double cropMinScale, double flipProbability, double jitter, double noiseStd, float inputMean,
                float inputStd, long seed, double saturation, double hue, double jitterProbability, double grayscaleProbability,
                double blurProbability) {
            this(cropMinScale, flipProbability, jitter, noiseStd, inputMean, inputStd, seed, saturation, hue, jitterProbability,
                    grayscaleProbability, blurProbability, CORRUPTION_RATE.defaultValue(), MASK_PROBABILITY.defaultValue(),
                    SCALING.defaultValue(), TIME_MASK.defaultValue());
        }

        /** These settings with the vector views' corruption rate and mask probability. */
        public ViewSettings withVectorViews(double corruption, double mask) {
            return new ViewSettings(cropMinScale, flipProbability, jitter, noiseStd, inputMean, inputStd, seed, saturation, hue,
                    jitterProbability, grayscaleProbability, blurProbability, corruption, mask, scaling, timeMask, vocab, tokenMask,
                    tokenReplace, padId, graphNodes, edgeDrop, featureMask, nodeDrop, channelStats);
        }

        /** These settings with the sequence views' scaling and time mask. */
        public ViewSettings withSequenceViews(double scalingRange, double longestMask) {
            return new ViewSettings(cropMinScale, flipProbability, jitter, noiseStd, inputMean, inputStd, seed, saturation, hue,
                    jitterProbability, grayscaleProbability, blurProbability, corruptionRate, maskProbability, scalingRange,
                    longestMask, vocab, tokenMask, tokenReplace, padId, graphNodes, edgeDrop, featureMask, nodeDrop, channelStats);
        }
    }

    /** Defaults for three-channel inputs (see {@link KontrastOptions#INPUT_MEAN} and the others). */
    public static final double COLOR_INPUT_MEAN = 0.449;
    public static final double COLOR_INPUT_STD = 0.226;
    public static final double COLOR_CROP_MIN_SCALE = 0.5;

    /**
     * The corruption rate of sequence views when not configured (vectors take the option's 0.6,
     * tokens none): on Fashion-MNIST's rows it lifted the {@code cnn1d}'s kNN with MoCo from 0.811
     * to 0.822 (0.6: 0.816), and the {@code gru}'s from 0.810 to 0.819.
     */
    public static final double SEQUENCE_CORRUPTION_RATE = 0.3;
    public static final double GRAPH_NOISE_STD = 0.5;

    public static TrainerSettings from(Configuration conf) {
        String modelId = conf.get(MODEL_ID);
        require(!modelId.isBlank(), MODEL_ID, "must not be blank");
        Shape shape;
        try {
            shape = Shape.parse(conf.get(INPUT_SHAPE));
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionException(INPUT_SHAPE.key(), e.getMessage());
        }
        String partsSpec = conf.get(INPUT_PARTS).trim();
        List<Part> parts = List.of();
        if (!partsSpec.isEmpty()) {
            try {
                parts = parseParts(partsSpec);
            } catch (IllegalArgumentException e) {
                throw new InvalidOptionException(INPUT_PARTS.key(), e.getMessage());
            }
            require(parts.size() == 2, INPUT_PARTS, "takes two parts, one per tower, got " + parts.size());
            require(conf.get(OBJECTIVE).trim().equals("clip"), OBJECTIVE, "must be clip for paired samples ("
                    + INPUT_PARTS.key() + " is set), got '" + conf.get(OBJECTIVE).trim() + "'");
            require(conf.get(ENCODER).trim().equals("auto"), ENCODER, "must be auto for paired samples: each part gets the "
                    + "preset for its shape, got '" + conf.get(ENCODER).trim() + "'");
            require(conf.get(PROBE_SET).trim().isEmpty(), PROBE_SET, "must be empty for paired samples");
            // Through the trainer a pair is one row of all its parts' values; the towers split it.
            int total = 0;
            for (Part p : parts) total += p.shape().size();
            shape = Shape.vector(total);
        }
        require(!parts.isEmpty() || !conf.get(OBJECTIVE).trim().equals("clip"), OBJECTIVE,
                "clip needs paired samples: set " + INPUT_PARTS.key() + " (such as top=1x14x28,bottom=1x14x28)");
        int vocab = conf.get(INPUT_VOCAB);
        require(vocab >= 0 && vocab <= 1 << 24, INPUT_VOCAB, "must be in 0..16777216 (0: not tokens), got " + vocab);
        boolean tokens = vocab > 0;
        require(!tokens || shape.isVector() && shape.channels() >= 2, INPUT_SHAPE, "must be the number of tokens T (2 or more) "
                + "for token samples (" + INPUT_VOCAB.key() + " is set), got " + shape);
        require(!tokens || partsSpec.isEmpty(), INPUT_VOCAB, "must be 0 for paired samples (" + INPUT_PARTS.key() + " is set)");
        int padId = conf.get(PAD_ID);
        require(!tokens || padId >= 0 && padId < vocab, PAD_ID, "must be an id in [0, " + vocab + "), got " + padId);
        require(!tokens || conf.get(PROBE_SET).trim().isEmpty(), PROBE_SET, "must be empty for token samples");
        boolean graph = conf.get(INPUT_GRAPH);
        require(!graph || shape.isSequence(), INPUT_SHAPE, "must be NxF for graph samples (" + INPUT_GRAPH.key()
                + " is set): up to N nodes of F features, got " + shape);
        require(!graph || !tokens && partsSpec.isEmpty(), INPUT_GRAPH, "excludes token and paired samples");
        require(!graph || conf.get(PROBE_SET).trim().isEmpty(), PROBE_SET, "must be empty for graph samples");
        int graphNodes = graph ? shape.steps() : 0;
        if (graph) {
            // Packed node after node: a node's features, its adjacency row and whether it exists.
            shape = Shape.sequence(graphNodes, shape.channels() + graphNodes + 1);
        }
        boolean vector = shape.isVector() && !tokens;
        boolean sequence = shape.isSequence() && !graph;
        require(vector || sequence || tokens || graph || (shape.channels() == 1 || shape.channels() == 3) && shape.width() > 1, INPUT_SHAPE,
                "must be an image with 1 or 3 channels (CxHxW), a sequence (TxF) or a vector length, got " + shape);
        String format = conf.get(INPUT_FORMAT).trim();
        require(format.equals("sample") || format.equals("image"), INPUT_FORMAT, "must be one of [sample, image], got '" + format + "'");
        require(!vector && !sequence && !tokens && !graph || format.equals("sample"), INPUT_FORMAT,
                "must be sample for a " + (graph ? "graph" : tokens ? "token" : vector ? "vector" : "sequence") + " input (" + shape + "), got '"
                        + format + "'");
        long maxPixels = conf.get(MAX_PIXELS);
        require(maxPixels >= 1, MAX_PIXELS, "must be >= 1, got " + maxPixels);
        String specFile = conf.get(ENCODER_SPEC).trim();
        String encoder = conf.get(ENCODER).trim();
        require(ENCODERS.contains(encoder), ENCODER, "must be one of " + ENCODERS + ", got '" + encoder + "'");
        require(specFile.isEmpty() || encoder.equals("auto") || encoder.equals("custom"), ENCODER,
                "must be auto or custom with " + ENCODER_SPEC.key() + ", got '" + encoder + "'");
        require(!specFile.isEmpty() || !encoder.equals("custom"), ENCODER_SPEC, "must name a layer-list file for the custom encoder");
        if (encoder.equals("auto")) {
            boolean cpc = conf.get(OBJECTIVE).trim().equals("cpc");
            encoder = !partsSpec.isEmpty() ? "towers" : !specFile.isEmpty() ? "custom" : graph ? "gcn" : sequence || tokens ? (cpc ? "cnn1d-steps" : "cnn1d") : shape.equals(new Shape(1, 28, 28)) || vector
                    // The cnn pools twice by 2: an image of other sides takes the MLP.
                    || shape.height() % 4 != 0 || shape.width() % 4 != 0 ? "mlp" : "cnn";
        }
        String specJson = null;
        if (!specFile.isEmpty()) {
            try {
                specJson = java.nio.file.Files.readString(java.nio.file.Path.of(specFile));
            } catch (java.io.IOException e) {
                throw new InvalidOptionException(ENCODER_SPEC.key(), "cannot read " + specFile + ": " + e);
            }
        }
        int resnetWidth = conf.get(RESNET_WIDTH);
        require(resnetWidth >= 1 && resnetWidth <= 1024, RESNET_WIDTH, "must be in 1..1024, got " + resnetWidth);
        int cnnWidth = conf.get(CNN_WIDTH);
        require(cnnWidth >= 1 && cnnWidth <= 1024, CNN_WIDTH, "must be in 1..1024, got " + cnnWidth);
        int batch = conf.get(BATCH_SIZE);
        require(batch >= 2 && batch <= 65536, BATCH_SIZE, "must be in 2..65536, got " + batch);
        String objectiveName = conf.get(OBJECTIVE).trim();
        require(OBJECTIVES.contains(objectiveName), OBJECTIVE, "must be one of " + OBJECTIVES + ", got '" + objectiveName + "'");
        int predictorHidden = conf.get(PREDICTOR_HIDDEN);
        require(predictorHidden >= 1 && predictorHidden <= 65536, PREDICTOR_HIDDEN, "must be in 1..65536, got " + predictorHidden);
        boolean stopGradient = conf.get(STOP_GRADIENT);
        require(stopGradient || objectiveName.equals("simsiam"), STOP_GRADIENT,
                "false is only for the simsiam objective, got objective '" + objectiveName + "'");
        int negatives = conf.get(INSTDISC_NEGATIVES);
        require(negatives >= 1 && negatives <= 1 << 20, INSTDISC_NEGATIVES, "must be in 1..1048576, got " + negatives);
        int bankSize = conf.get(INSTDISC_BANK_SIZE);
        require(bankSize >= 1 && bankSize <= 1 << 26, INSTDISC_BANK_SIZE, "must be in 1..67108864, got " + bankSize);
        double bankMomentum = conf.get(INSTDISC_BANK_MOMENTUM);
        require(bankMomentum >= 0 && bankMomentum < 1, INSTDISC_BANK_MOMENTUM, "must be in [0, 1), got " + bankMomentum);
        double instDiscTemperature = conf.get(INSTDISC_TEMPERATURE);
        require(instDiscTemperature > 0 && instDiscTemperature <= 10, INSTDISC_TEMPERATURE,
                "must be in (0, 10], got " + instDiscTemperature);
        double contextGap = conf.get(CONTEXT_GAP);
        require(contextGap >= 0 && contextGap <= 0.3, CONTEXT_GAP, "must be in [0, 0.3], got " + contextGap);
        double contextJitter = conf.get(CONTEXT_JITTER);
        require(contextJitter >= 0 && contextJitter <= 0.2, CONTEXT_JITTER, "must be in [0, 0.2], got " + contextJitter);
        require(!vector && !sequence && !tokens || !objectiveName.equals("context"), OBJECTIVE,
                "context needs an image input (its views are patches of one), got a " + (tokens ? "token sequence" : vector ? "vector" : "sequence")
                        + " of " + shape);
        require(sequence || tokens || !objectiveName.equals("sop"), OBJECTIVE,
                "sop needs a sequence input (TxF or tokens: its views are two segments of one), got " + shape);
        require(sequence || tokens || !objectiveName.equals("cpc"), OBJECTIVE,
                "cpc needs a sequence input (TxF or tokens: it predicts later steps from earlier ones), got " + shape);
        require(!tokens || !objectiveName.equals("sop") || shape.channels() >= 4, OBJECTIVE,
                "sop needs sequences of at least 4 tokens, got " + shape.channels());
        require(!graph || List.of("moco", "simclr", "simsiam", "byol", "instdisc", "dgi").contains(objectiveName), OBJECTIVE,
                "must be one of [moco, simclr, simsiam, byol, instdisc, dgi] for graph samples, got '" + objectiveName + "'");
        require(graph || !objectiveName.equals("dgi"), OBJECTIVE, "dgi needs graph samples (" + INPUT_GRAPH.key() + ")");
        require(graph == encoder.equals("gcn") || graph && encoder.equals("custom"), ENCODER, graph
                ? "must be gcn or custom for graph samples, got '" + encoder + "'"
                : "gcn takes graph samples only (" + INPUT_GRAPH.key() + ")");
        require(!tokens || List.of("mlp", "cnn1d", "cnn1d-steps", "gru", "custom").contains(encoder), ENCODER,
                "must be one of [auto, mlp, cnn1d, cnn1d-steps, gru, custom] for token samples (each preset starts with an "
                        + "embedding layer), got '" + encoder + "'");
        int cpcAhead = conf.get(CPC_STEPS_AHEAD);
        require(cpcAhead >= 1 && cpcAhead <= 1024, CPC_STEPS_AHEAD, "must be in 1..1024, got " + cpcAhead);
        int cpcMinOffset = conf.get(CPC_MIN_OFFSET);
        require(cpcMinOffset >= 0 && cpcMinOffset <= 1024, CPC_MIN_OFFSET, "must be in 0..1024 (0: auto), got " + cpcMinOffset);
        String dgiCorruption = conf.get(DGI_CORRUPTION).trim();
        require(List.of("batch", "neighbourhood").contains(dgiCorruption), DGI_CORRUPTION,
                "must be batch or neighbourhood, got '" + dgiCorruption + "'");
        double clipMaxScale = conf.get(CLIP_MAX_SCALE);
        require(clipMaxScale >= 1 && clipMaxScale <= 1000, CLIP_MAX_SCALE, "must be in [1, 1000], got " + clipMaxScale);
        String dimViews = conf.get(DIM_VIEWS).trim();
        require(List.of("same", "across").contains(dimViews), DIM_VIEWS, "must be same or across, got '" + dimViews + "'");
        String clipPartViews = conf.get(CLIP_PART_VIEWS).trim();
        require(List.of("vector", "kind").contains(clipPartViews), CLIP_PART_VIEWS, "must be vector or kind, got '" + clipPartViews + "'");
        double clipInPart = conf.get(CLIP_IN_PART_WEIGHT);
        require(clipInPart >= 0 && clipInPart <= 100, CLIP_IN_PART_WEIGHT, "must be in [0, 100], got " + clipInPart);
        int cpcContext = conf.get(CPC_CONTEXT_SIZE);
        require(cpcContext >= 1 && cpcContext <= 4096, CPC_CONTEXT_SIZE, "must be in 1..4096, got " + cpcContext);
        double sopOther = conf.get(SOP_OTHER_FRACTION);
        require(sopOther >= 0 && sopOther < 1, SOP_OTHER_FRACTION, "must be in [0, 1), got " + sopOther);
        String byolMomentum = conf.get(BYOL_TARGET_MOMENTUM).trim();
        require(List.of("cosine", "constant").contains(byolMomentum), BYOL_TARGET_MOMENTUM,
                "must be cosine or constant, got '" + byolMomentum + "'");
        double sopContrast = conf.get(SOP_CONTRAST_WEIGHT);
        require(sopContrast >= 0 && sopContrast <= 100, SOP_CONTRAST_WEIGHT, "must be in [0, 100], got " + sopContrast);
        require(!sequence || !objectiveName.equals("sop") || shape.steps() >= 4, OBJECTIVE,
                "sop needs sequences of at least 4 steps, got " + shape.steps());
        if (objectiveName.equals("context")) {
            int side = Math.min(shape.height(), shape.width());
            int patch = (side - (int) Math.round(contextGap * side) - 2 * (int) Math.round(contextJitter * side)) / 2;
            require(patch >= 4, CONTEXT_GAP, "with kontrast.context.jitter=" + contextJitter + " leaves patches of " + patch
                    + " pixels of a " + shape.height() + "x" + shape.width() + " input; at least 4 are needed");
        }
        ObjectiveSettings objective = new ObjectiveSettings(objectiveName, predictorHidden, stopGradient, negatives, bankSize,
                bankMomentum, conf.get(INSTANCE_ATTRIBUTE).trim(), instDiscTemperature, contextGap, contextJitter, cpcAhead, cpcContext, cpcMinOffset,
                dgiCorruption, clipMaxScale, clipInPart, clipPartViews.equals("kind"), dimViews.equals("across"), sopOther,
                sopContrast, byolMomentum.equals("cosine"));
        ReplaySettings replay = replay(conf, batch, shape.channels() * shape.height() * shape.width());
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
        boolean color = shape.channels() == 3;
        // Colour images default to natural photographs' statistics (ImageNet's, averaged over the
        // channels) and to MoCo v2's crops; single-channel ones to Fashion-MNIST's, as measured.
        double crop = conf.getOptional(CROP_MIN_SCALE).orElse(color ? COLOR_CROP_MIN_SCALE : CROP_MIN_SCALE.defaultValue());
        require(crop > 0 && crop <= 1, CROP_MIN_SCALE, "must be in (0, 1], got " + crop);
        double flip = conf.get(FLIP_PROBABILITY);
        require(flip >= 0 && flip <= 1, FLIP_PROBABILITY, "must be in [0, 1], got " + flip);
        double jitter = conf.get(JITTER);
        require(jitter >= 0 && jitter < 1, JITTER, "must be in [0, 1), got " + jitter);
        // Graph views default to noise on the node features: without it, two views of a neighbourhood
        // share the centre's exact features, which then tell the instances apart alone.
        double noise = conf.getOptional(NOISE_STD).orElse(conf.get(INPUT_GRAPH) ? GRAPH_NOISE_STD : NOISE_STD.defaultValue());
        require(noise >= 0 && noise <= 1, NOISE_STD, "must be in [0, 1], got " + noise);
        double std = conf.getOptional(INPUT_STD).orElse(color ? COLOR_INPUT_STD : INPUT_STD.defaultValue());
        double mean = conf.getOptional(INPUT_MEAN).orElse(color ? COLOR_INPUT_MEAN : INPUT_MEAN.defaultValue());
        require(std > 0, INPUT_STD, "must be > 0, got " + std);
        if (tokens || graph) {
            // Token ids reach the embedding as they are; a graph's adjacency and node mask must stay 0 and 1.
            require(!conf.contains(INPUT_MEAN) && !conf.contains(INPUT_STD), INPUT_MEAN,
                    "and " + INPUT_STD.key() + " do not apply to " + (tokens ? "token" : "graph") + " samples (not normalised)");
            mean = 0;
            std = 1;
        }
        io.kontrast.operators.views.ChannelStats channelStats = channelStats(conf, shape, tokens || graph, !partsSpec.isEmpty());
        if (channelStats != null) {
            // One channel: the per-channel statistics are the scalar ones. More: the scalars hold
            // their averages, and every view and the snapshot take the per-channel values.
            double meanSum = 0;
            double stdSum = 0;
            for (int c = 0; c < channelStats.channels(); c++) {
                meanSum += channelStats.mean(c);
                stdSum += channelStats.std(c);
            }
            mean = meanSum / channelStats.channels();
            std = stdSum / channelStats.channels();
            if (channelStats.channels() == 1) channelStats = null;
        }
        int maxBytes = conf.get(MAX_RECORD_BYTES);
        require(maxBytes >= 64, MAX_RECORD_BYTES, "must be >= 64, got " + maxBytes);
        int rollbackAfter = conf.get(ROLLBACK_AFTER);
        require(rollbackAfter >= 1, ROLLBACK_AFTER, "must be >= 1, got " + rollbackAfter);
        double collapse = conf.get(COLLAPSE_MIN_STD);
        require(collapse >= 0 && collapse < 1, COLLAPSE_MIN_STD, "must be in [0, 1), got " + collapse);
        String probe = conf.get(PROBE_SET).trim();
        require(probe.isEmpty() || probe.equals("synthetic") || probe.equals("fashion-mnist") || probe.startsWith("fashion-mnist:"),
                PROBE_SET, "must be '', 'synthetic', 'fashion-mnist' or 'fashion-mnist:<dir>', got '" + probe + "'");
        require(probe.isEmpty() || shape.size() == 784 && (vector || shape.channels() == 1 || shape.equals(Shape.sequence(28, 28))),
                PROBE_SET, "holds 28x28 gray images, which fit an input of 1x28x28, a 28x28 sequence (rows) or a vector of 784, not "
                        + shape);
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
        HyperParams hp =
                new HyperParams(batch, queue, t, m, lr * batch / 256.0, mu, wd, warmup, symmetric, cycleSteps);
        long seed = conf.get(SEED);
        double corruption = unit(conf, CORRUPTION_RATE, 1);
        if (!conf.contains(CORRUPTION_RATE) && (sequence || tokens)) corruption = tokens ? 0 : SEQUENCE_CORRUPTION_RATE;
        ViewSettings views =
                new ViewSettings(
                        crop, flip, jitter, noise, (float) mean, (float) std, seed,
                        unit(conf, SATURATION, 1), unit(conf, HUE, 0.5), unit(conf, JITTER_PROBABILITY, 1),
                        unit(conf, GRAYSCALE_PROBABILITY, 1), unit(conf, BLUR_PROBABILITY, 1),
                        // A pair's views are its parts, each normalised, with noise and masking: no SCARF
                        // corruption, which would mix one sample's part with another's.
                        partsSpec.isEmpty() ? corruption : 0, unit(conf, MASK_PROBABILITY, 1), unit(conf, SCALING, 0.99),
                        unit(conf, TIME_MASK, 0.9));
        if (graph) {
            views = views.withGraphViews(graphNodes, unit(conf, EDGE_DROP, 1), unit(conf, FEATURE_MASK, 1), unit(conf, NODE_DROP, 1));
        }
        if (tokens) views = views.withTokenViews(vocab, unit(conf, TOKEN_MASK, 1), unit(conf, TOKEN_REPLACE, 1), padId);
        if (channelStats != null) views = views.withChannelStats(channelStats);
        TrainerSettings settings = new TrainerSettings(
                modelId, encoder, specJson, resnetWidth, cnnWidth, conf.get(BATCH_NORM), bnGroups, conf.get(HEAD_BATCH_NORM), format, maxPixels,
                shape.channels(),
                shape.height(), shape.width(), hp, objective, replay, every, max, seed, views, maxBytes, rollbackAfter, collapse, probe, probeSize,
                conf.get(TRAINER_LANES), overlap, partsSpec, vocab);
        Network net;
        try {
            net = settings.network();
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionException(encoder.equals("custom") ? ENCODER_SPEC.key() : ENCODER.key(),
                    "the " + encoder + " encoder does not fit input shape " + shape + ": " + e.getMessage());
        }
        if (objectiveName.equals("cpc")) {
            Shape map = net instanceof LayerNet ln && ln.hasFeatureMap() ? ln.featureMapShape() : null;
            require(map != null && map.height() == 1, OBJECTIVE, "cpc needs an encoder with a feature map over time "
                    + "(cnn1d-steps, cnn1d or a layer list with conv1d layers), got " + encoder);
            int first = settings.cpcFirstOffset();
            require(first + cpcAhead - 1 < map.steps(), cpcMinOffset == 0 ? CPC_STEPS_AHEAD : CPC_MIN_OFFSET,
                    "predicts offsets " + first + " to " + (first + cpcAhead - 1) + (cpcMinOffset == 0 ? " (" + first
                            + ": the nearest whose latent sees none of the context's inputs)" : "") + ", but the " + encoder
                            + " encoder's feature map has " + map.steps() + " steps, offsets 1 to " + (map.steps() - 1)
                            + "; lower " + CPC_STEPS_AHEAD.key() + " or " + CPC_MIN_OFFSET.key() + ", or give longer sequences");
        }
        require(!objectiveName.equals("dim") || net instanceof LayerNet ln && ln.hasFeatureMap(), OBJECTIVE,
                "dim needs an encoder whose backbone has a feature map (cnn, resnet or a convolutional layer list), got "
                        + encoder);
        return settings;
    }

    /**
     * Samples the trainer trains on before it stops: {@code maxSamples} rounded down to whole
     * batches (a step always takes a full batch), or 0 for no limit.
     */
    public long sampleBudget() {
        return maxSamples - maxSamples % hyperParams.batchSize();
    }

    public int inputSize() {
        return inputChannels * inputHeight * inputWidth;
    }

    public Shape inputShape() {
        return new Shape(inputChannels, inputHeight, inputWidth);
    }

    /**
     * The input shape as snapshots record it: {@code [F]} for a vector, {@code [T, F]} for a
     * sequence, {@code [C, H, W]} for an image.
     */
    public int[] snapshotInputShape() {
        return snapshotInputShape(inputShape());
    }

    /** {@code shape} as snapshots record it: {@code [F]}, {@code [T, F]} or {@code [C, H, W]}. */
    public static int[] snapshotInputShape(Shape shape) {
        return shape.isVector() ? new int[] {shape.channels()}
                : shape.isSequence() ? new int[] {shape.steps(), shape.channels()}
                : new int[] {shape.channels(), shape.height(), shape.width()};
    }

    /** Whether the samples are packed graphs (see {@link ViewSettings#graphs}). */
    public boolean graphs() {
        return views.graphs();
    }

    /** Features per node of graph samples. */
    public int graphFeatures() {
        return inputChannels - inputWidth - 1;
    }

    /** Whether the samples are token ids (then the encoder starts with an {@code embedding} layer). */
    public boolean tokens() {
        return inputVocab > 0;
    }

    /** A fresh (uninitialised) network of the configured encoder. */
    public Network network() {
        if (tokens()) {
            int steps = inputShape().channels();
            EncoderSpec spec = switch (encoder) {
                case "mlp" -> Presets.tokens(steps, inputVocab, Presets::mlp);
                case "cnn1d" -> Presets.tokens(steps, inputVocab, Presets::cnn1d);
                case "cnn1d-steps" -> Presets.tokens(steps, inputVocab, Presets::cnn1dSteps);
                case "gru" -> Presets.tokens(steps, inputVocab, Presets::gru);
                case "custom" -> {
                    EncoderSpec own = SpecJson.parse(encoderSpec, inputShape());
                    LayerSpec first = own.backbone().get(0);
                    if (!first.kind().equals("embedding") || first.vocab() != inputVocab) {
                        throw new IllegalArgumentException("a layer list for token samples starts with an embedding of "
                                + "num_embeddings " + inputVocab + ", got " + first.kind()
                                + (first.kind().equals("embedding") ? " of " + first.vocab() : ""));
                    }
                    yield own;
                }
                default -> throw new IllegalStateException("no " + encoder + " encoder for token samples");
            };
            return new LayerNet(encoder, spec, bnGroups);
        }
        return switch (encoder) {
            case "mlp" -> new LayerNet("mlp", Presets.mlp(inputShape(), false), bnGroups);
            case "cnn" -> new LayerNet("cnn", Presets.cnn(inputShape(), cnnWidth, 2 * cnnWidth, 256, 128, batchNorm, headBatchNorm), bnGroups);
            case "cnn1d" -> new LayerNet("cnn1d", Presets.cnn1d(inputShape()), bnGroups);
            case "cnn1d-steps" -> new LayerNet("cnn1d-steps", Presets.cnn1dSteps(inputShape()), bnGroups);
            case "gru" -> new LayerNet("gru", Presets.gru(inputShape()), bnGroups);
            case "towers" -> {
                List<String> names = new java.util.ArrayList<>();
                List<LayerNet> towers = new java.util.ArrayList<>();
                for (Part p : parts()) {
                    names.add(p.name());
                    towers.add(towerFor(p.shape()));
                }
                yield new io.kontrast.math.nn.Towers(names, towers);
            }
            case "resnet" -> new LayerNet("resnet", Presets.resnet(inputShape(), resnetWidth, 128), bnGroups);
            case "gcn" -> new LayerNet("gcn", Presets.gcn(inputShape()), bnGroups);
            case "custom" -> new LayerNet("custom", SpecJson.parse(encoderSpec, inputShape()), bnGroups);
            default -> throw new IllegalStateException("unknown encoder " + encoder);
        };
    }

    /**
     * A part's tower: the preset {@code auto} takes for its shape (the MLP as a layer list where
     * that is the mlp), with the projection into the space the parts share (ReLU → linear-128) as
     * the end of its backbone and no head: CLIP aligns the towers' outputs, so that is what each
     * publishes, and what cross-part retrieval compares.
     */
    private LayerNet towerFor(Shape shape) {
        io.kontrast.math.nn.EncoderSpec preset;
        String name;
        if (shape.isSequence()) {
            preset = Presets.cnn1d(shape);
            name = "cnn1d";
        } else if (!shape.isVector() && shape.height() % 4 == 0 && shape.width() % 4 == 0 && !shape.equals(new Shape(1, 28, 28))) {
            preset = Presets.cnn(shape);
            name = "cnn";
        } else {
            preset = Presets.mlp(shape);
            name = "mlp";
        }
        List<io.kontrast.math.nn.LayerSpec> backbone = new java.util.ArrayList<>(preset.backbone());
        backbone.add(io.kontrast.math.nn.LayerSpec.relu());
        backbone.add(io.kontrast.math.nn.LayerSpec.linear(CLIP_EMBEDDING));
        return new LayerNet(name + "-tower", new io.kontrast.math.nn.EncoderSpec(shape, backbone, List.of()), bnGroups);
    }

    /** Width of the space a pair's towers share. */
    public static final int CLIP_EMBEDDING = 128;

    private static ReplaySettings replay(Configuration conf, int batch, int inputSize) {
        ReplayBuffer.Policy policy;
        try {
            policy = ReplayBuffer.Policy.parse(conf.get(REPLAY_POLICY).trim());
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionException(REPLAY_POLICY.key(), e.getMessage());
        }
        int size = conf.get(REPLAY_SIZE);
        require(size >= 1 && size <= 1 << 24, REPLAY_SIZE, "must be in 1..16777216, got " + size);
        long maxBytes = conf.get(REPLAY_MAX_BYTES);
        // A sample's values, its feature (128 floats at most in the presets) and its bookkeeping.
        long perSlot = 4L * inputSize + (policy == ReplayBuffer.Policy.MIN_REDUNDANCY ? 4L * 128 + 12 : 0) + 64;
        require(policy == ReplayBuffer.Policy.NONE || maxBytes >= perSlot, REPLAY_MAX_BYTES,
                "must hold at least one sample (" + perSlot + " bytes at this input shape), got " + maxBytes);
        if (policy != ReplayBuffer.Policy.NONE && (long) size * perSlot > maxBytes) {
            size = (int) (maxBytes / perSlot);
        }
        int steps = conf.get(REPLAY_STEPS_PER_BATCH);
        require(steps >= 1 && steps <= 64, REPLAY_STEPS_PER_BATCH, "must be in 1..64, got " + steps);
        double fresh = conf.get(REPLAY_FRESH_FRACTION);
        require(fresh >= 0 && fresh <= 1, REPLAY_FRESH_FRACTION, "must be in [0, 1], got " + fresh);
        int freshPerStep = (int) Math.round(fresh * batch);
        return new ReplaySettings(policy, size, steps, freshPerStep);
    }

    /**
     * CPC's nearest offset: {@code kontrast.cpc.min-offset}, or where it is 0 the nearest whose
     * latent's inputs lie wholly after the context's, {@code ⌈size / jump⌉} of the feature map's
     * receptive field (4 for the {@code cnn1d}'s: 13 steps, 4 apart).
     */
    public int cpcFirstOffset() {
        if (objective.cpcMinOffset() > 0) return objective.cpcMinOffset();
        int[] field = ((LayerNet) network()).featureMapReceptiveField();
        return Math.max(1, (field[0] + field[1] - 1) / field[1]);
    }

    /** A fresh learner of the configured encoder and objective, seeded with {@code seed}. */
    public Learner newLearner(long seed) {
        Network net = network();
        return switch (objective.name()) {
            case "moco" -> new MocoLearner(net, hyperParams, seed, lanes);
            case "simclr" -> new ObjectiveLearner(net, hyperParams, new SimClr(hyperParams.batchSize(), net.outputDim(),
                    hyperParams.temperature()), seed);
            case "simsiam", "byol" -> new ObjectiveLearner(net, hyperParams, new Siamese(objective.name().equals("byol"),
                    objective.stopGradient(), objective.byolMomentumSchedule(), net, hyperParams.batchSize(), objective.predictorHidden(), DataType.FLOAT,
                    seed ^ 0x5DEECE66DL), seed);
            case "instdisc" -> new ObjectiveLearner(net, hyperParams, new InstDisc(hyperParams.batchSize(), net.outputDim(),
                    objective.negatives(), objective.bankSize(), objective.instDiscTemperature(), objective.bankMomentum(),
                    DataType.FLOAT, seed ^ 0x2545F4914F6CDD1DL), seed);
            case "dim" -> {
                if (!(net instanceof LayerNet ln) || !ln.hasFeatureMap()) {
                    throw new InvalidOptionException(OBJECTIVE.key(), "dim needs an encoder with a feature map (cnn, resnet "
                            + "or a convolutional layer list), got " + encoder);
                }
                var map = ln.featureMapShape();
                yield new ObjectiveLearner(net, hyperParams, new DeepInfoMax(hyperParams.batchSize(), map.channels(),
                        map.height() * map.width(), net.outputDim(), hyperParams.temperature(), objective.dimAcrossViews(),
                        DataType.FLOAT, seed ^ 0x3C6EF372FE94F82BL), seed);
            }
            case "context" -> new ObjectiveLearner(net, hyperParams, new ContextPrediction(hyperParams.batchSize(),
                    net.outputDim(), objective.predictorHidden(), DataType.FLOAT, seed ^ 0x6A09E667F3BCC909L), seed);
            case "cpc" -> {
                Shape map = ((LayerNet) net).featureMapShape();
                yield new ObjectiveLearner(net, hyperParams, new Cpc(hyperParams.batchSize(), map.steps(), map.channels(),
                        objective.cpcContextSize(), cpcFirstOffset(), objective.cpcStepsAhead(), DataType.FLOAT,
                        seed ^ 0x510E527FADE682D1L), seed);
            }
            case "clip" -> {
                var towers = (io.kontrast.math.nn.Towers) net;
                yield new ObjectiveLearner(net, hyperParams, new Clip(hyperParams.batchSize(), towers.tower(0).outputDim(),
                        hyperParams.temperature(), objective.clipMaxScale(), objective.clipInPartWeight(), DataType.FLOAT), seed);
            }
            case "dgi" -> {
                Shape map = ((LayerNet) net).featureMapShape();
                yield new ObjectiveLearner(net, hyperParams, new io.kontrast.math.objective.Dgi(hyperParams.batchSize(),
                        inputWidth, map.channels(), graphFeatures(), DataType.FLOAT, seed ^ 0x9B05688C2B3E6C1FL), seed);
            }
            case "sop" -> new ObjectiveLearner(net, hyperParams, ContextPrediction.sentenceOrder(hyperParams.batchSize(),
                    net.outputDim(), objective.predictorHidden(), DataType.FLOAT, seed ^ 0x6A09E667F3BCC909L,
                    objective.sopOtherFraction() > 0, objective.sopContrastWeight(), hyperParams.temperature()), seed);
            default -> throw new IllegalStateException("unknown objective " + objective.name());
        };
    }

    /** A double option in {@code [0, max]}. */
    private static double unit(Configuration conf, ConfigOption<Double> option, double max) {
        double v = conf.get(option);
        require(v >= 0 && v <= max, option, "must be in [0, " + max + "], got " + v);
        return v;
    }

    static void require(boolean ok, ConfigOption<?> option, String message) {
        if (!ok) {
            throw new InvalidOptionException(option.key(), message);
        }
    }

    /**
     * {@link KontrastOptions#INPUT_CHANNEL_MEAN} and {@link KontrastOptions#INPUT_CHANNEL_STD},
     * validated against the input, or null when neither is set.
     */
    private static io.kontrast.operators.views.ChannelStats channelStats(Configuration conf, Shape shape, boolean unnormalised,
            boolean paired) {
        boolean hasMean = conf.contains(INPUT_CHANNEL_MEAN);
        boolean hasStd = conf.contains(INPUT_CHANNEL_STD);
        if (!hasMean && !hasStd) return null;
        require(hasMean, INPUT_CHANNEL_MEAN, "must be set with " + INPUT_CHANNEL_STD.key());
        require(hasStd, INPUT_CHANNEL_STD, "must be set with " + INPUT_CHANNEL_MEAN.key());
        require(!conf.contains(INPUT_MEAN) && !conf.contains(INPUT_STD), INPUT_CHANNEL_MEAN,
                "replaces " + INPUT_MEAN.key() + " and " + INPUT_STD.key() + ": set one pair or the other");
        require(!unnormalised, INPUT_CHANNEL_MEAN, "does not apply to token or graph samples (not normalised)");
        require(!paired, INPUT_CHANNEL_MEAN, "does not apply to paired samples (" + INPUT_PARTS.key() + "): their parts "
                + "are normalised with " + INPUT_MEAN.key() + " and " + INPUT_STD.key());
        List<Double> means = list(conf, INPUT_CHANNEL_MEAN);
        List<Double> stds = list(conf, INPUT_CHANNEL_STD);
        String what = shape.isVector() ? "features of the vector " + shape : shape.isSequence() ? "features per step of the "
                + "sequence " + shape : "channels of the image " + shape;
        require(means.size() == shape.channels(), INPUT_CHANNEL_MEAN, "needs one value per channel: " + shape.channels() + " ("
                + what + "), got " + means.size());
        require(stds.size() == shape.channels(), INPUT_CHANNEL_STD, "needs one value per channel: " + shape.channels() + " ("
                + what + "), got " + stds.size());
        float[] m = new float[means.size()];
        float[] sd = new float[stds.size()];
        for (int c = 0; c < m.length; c++) {
            double v = means.get(c);
            double d = stds.get(c);
            require(Double.isFinite(v), INPUT_CHANNEL_MEAN, "value " + c + " must be finite, got " + v);
            require(d > 0 && Double.isFinite(d), INPUT_CHANNEL_STD, "value " + c + " must be finite and > 0, got " + d);
            m[c] = (float) v;
            sd[c] = (float) d;
        }
        return new io.kontrast.operators.views.ChannelStats(m, sd);
    }

    private static List<Double> list(Configuration conf, ConfigOption<List<Double>> option) {
        try {
            return conf.get(option);
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionException(option.key(), "must be numbers separated by ';': " + e.getMessage());
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
