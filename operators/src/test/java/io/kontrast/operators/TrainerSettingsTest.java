package io.kontrast.operators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class TrainerSettingsTest {
    static Configuration vector(String... keyValues) {
        Configuration conf = new Configuration();
        conf.setString(KontrastOptions.INPUT_SHAPE.key(), "32");
        for (int i = 0; i < keyValues.length; i += 2) conf.setString(keyValues[i], keyValues[i + 1]);
        return conf;
    }

    @Test
    void aVectorInputPicksTheMlpAndSnapshotsItsLength() {
        TrainerSettings s = TrainerSettings.from(vector());
        assertThat(s.encoder()).isEqualTo("mlp");
        assertThat(s.inputShape().isVector()).isTrue();
        assertThat(s.inputSize()).isEqualTo(32);
        assertThat(s.network().inputDim()).isEqualTo(32);
        assertThat(s.views().corruptionRate()).isEqualTo(0.6);
        assertThat(TrainerSettings.from(vector("kontrast.views.mask-probability", "0.2")).views().maskProbability()).isEqualTo(0.2);
    }

    /** kontrast.cnn.width sets the cnn's convolutions (w and 2w channels); out of range, it is named. */
    @Test
    void theCnnsWidthIsAnOption() {
        Configuration conf = new Configuration();
        conf.setString(KontrastOptions.INPUT_SHAPE.key(), "3x32x32");
        conf.setString(KontrastOptions.CNN_WIDTH.key(), "48");
        var net = (io.kontrast.math.nn.LayerNet) TrainerSettings.from(conf).network();
        assertThat(net.architecture()).isEqualTo("cnn");
        assertThat(net.params()).filteredOn(p -> p.kind().equals("conv2d") && p.name().endsWith(".weight"))
                .extracting(p -> p.shape()[p.shape().length - 1]).containsExactly(48L, 96L);
        conf.setString(KontrastOptions.CNN_WIDTH.key(), "0");
        assertThatThrownBy(() -> TrainerSettings.from(conf)).hasMessageContaining("kontrast.cnn.width");
    }

    @Test
    void whatAVectorCannotTakeFailsAtStartupNamingTheOption() {
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.objective", "context")))
                .hasMessageContaining("kontrast.objective").hasMessageContaining("image");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.objective", "dim")))
                .hasMessageContaining("kontrast.objective").hasMessageContaining("feature map");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.objective", "sop")))
                .hasMessageContaining("kontrast.objective").hasMessageContaining("sequence input");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.format", "image")))
                .hasMessageContaining("kontrast.input.format").hasMessageContaining("vector");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.encoder", "cnn")))
                .hasMessageContaining("kontrast.encoder").hasMessageContaining("32");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.monitor.probe-set", "synthetic")))
                .hasMessageContaining("kontrast.monitor.probe-set").hasMessageContaining("784");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.views.corruption-rate", "1.5")))
                .hasMessageContaining("kontrast.views.corruption-rate");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "2x28x28")))
                .hasMessageContaining("kontrast.input.shape").hasMessageContaining("1 or 3 channels");
    }

    /**
     * Token samples: the cnn1d (cnn1d-steps with cpc) behind an embedding of the vocabulary, token
     * views, inputs not normalised, snapshots of {@code [T]}; what cannot take tokens fails at
     * startup naming the option.
     */
    @Test
    void tokenSamplesTakeAnEmbeddingFirstOrFailNamingTheOption() {
        TrainerSettings s = TrainerSettings.from(vector("kontrast.input.shape", "28", "kontrast.input.vocab", "129"));
        assertThat(s.tokens()).isTrue();
        assertThat(s.encoder()).isEqualTo("cnn1d");
        assertThat(s.snapshotInputShape()).containsExactly(28);
        assertThat(s.views().tokens()).isTrue();
        assertThat(s.views().vocab()).isEqualTo(129);
        assertThat(s.views().tokenMask()).isEqualTo(0.15);
        assertThat(s.views().inputMean()).isZero();
        assertThat(s.views().inputStd()).isEqualTo(1f);
        io.kontrast.math.nn.LayerNet net = (io.kontrast.math.nn.LayerNet) s.network();
        assertThat(net.inputDim()).isEqualTo(28);
        assertThat(net.params().get(0).name()).isEqualTo("backbone.0.weight");
        assertThat(net.params().get(0).shape()).containsExactly(129L, io.kontrast.math.nn.Presets.TOKEN_EMBEDDING);
        assertThat(TrainerSettings.from(vector("kontrast.input.shape", "28", "kontrast.input.vocab", "129",
                "kontrast.objective", "cpc")).encoder()).isEqualTo("cnn1d-steps");
        assertThat(TrainerSettings.from(vector("kontrast.input.shape", "28", "kontrast.input.vocab", "129",
                "kontrast.encoder", "gru")).network().representationDim()).isEqualTo(256);

        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "28x28", "kontrast.input.vocab", "129")))
                .hasMessageContaining("kontrast.input.shape").hasMessageContaining("number of tokens");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "28", "kontrast.input.vocab", "129",
                "kontrast.encoder", "cnn"))).hasMessageContaining("kontrast.encoder").hasMessageContaining("token");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "28", "kontrast.input.vocab", "129",
                "kontrast.input.pad-id", "129"))).hasMessageContaining("kontrast.input.pad-id");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "28", "kontrast.input.vocab", "129",
                "kontrast.input.mean", "0.5"))).hasMessageContaining("kontrast.input.mean");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "28", "kontrast.input.vocab", "129",
                "kontrast.objective", "context"))).hasMessageContaining("kontrast.objective").hasMessageContaining("image");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "28", "kontrast.input.vocab", "-1")))
                .hasMessageContaining("kontrast.input.vocab");
    }

    /**
     * Graph samples: NxF is up to N nodes of F features, packed as N x (F + N + 1); the gcn, graph
     * views with noise on the features, no normalisation, snapshots of the packed shape; what
     * cannot take graphs fails at startup naming the option.
     */
    @Test
    void graphSamplesTakeTheGcnOrFailNamingTheOption() {
        TrainerSettings s = TrainerSettings.from(vector("kontrast.input.shape", "32x16", "kontrast.input.graph", "true"));
        assertThat(s.graphs()).isTrue();
        assertThat(s.encoder()).isEqualTo("gcn");
        assertThat(s.inputShape()).isEqualTo(io.kontrast.math.nn.Shape.sequence(32, 16 + 32 + 1));
        assertThat(s.graphFeatures()).isEqualTo(16);
        assertThat(s.snapshotInputShape()).containsExactly(32, 49);
        assertThat(s.views().graphNodes()).isEqualTo(32);
        assertThat(s.views().noiseStd()).isEqualTo(TrainerSettings.GRAPH_NOISE_STD);
        assertThat(s.views().edgeDrop()).isEqualTo(0.2);
        assertThat(s.views().inputMean()).isZero();
        assertThat(s.network().representationDim()).isEqualTo(128);

        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "32", "kontrast.input.graph", "true")))
                .hasMessageContaining("kontrast.input.shape").hasMessageContaining("NxF");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "32x16", "kontrast.input.graph", "true",
                "kontrast.encoder", "cnn1d"))).hasMessageContaining("kontrast.encoder").hasMessageContaining("gcn");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "32x16", "kontrast.encoder", "gcn")))
                .hasMessageContaining("kontrast.encoder").hasMessageContaining("kontrast.input.graph");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "32x16", "kontrast.input.graph", "true",
                "kontrast.objective", "cpc"))).hasMessageContaining("kontrast.objective");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "32x16", "kontrast.input.graph", "true",
                "kontrast.views.edge-drop", "2"))).hasMessageContaining("kontrast.views.edge-drop");
        assertThat(TrainerSettings.from(vector("kontrast.input.shape", "32x16", "kontrast.input.graph", "true",
                "kontrast.objective", "dgi")).newLearner(1).objective()).isEqualTo("dgi");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "28x28", "kontrast.objective", "dgi")))
                .hasMessageContaining("kontrast.objective").hasMessageContaining("graph samples");
        assertThat(TrainerSettings.from(vector("kontrast.input.shape", "32x16", "kontrast.input.graph", "true",
                "kontrast.objective", "dgi")).objective().dgiCorruption()).isEqualTo("batch");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "32x16", "kontrast.input.graph", "true",
                "kontrast.objective", "dgi", "kontrast.dgi.corruption", "graph"))).hasMessageContaining("kontrast.dgi.corruption");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.clip.max-scale", "0.5")))
                .hasMessageContaining("kontrast.clip.max-scale");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.clip.part-views", "image")))
                .hasMessageContaining("kontrast.clip.part-views");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.dim.views", "both")))
                .hasMessageContaining("kontrast.dim.views");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.clip.in-part-weight", "-0.5")))
                .hasMessageContaining("kontrast.clip.in-part-weight");
    }

    /**
     * CPC picks the cnn1d-steps and predicts from the nearest offset whose latent shares no input
     * with its context; CLIP and paired samples need each other; what cannot run fails at startup
     * naming the option.
     */
    @Test
    void cpcAndClipFitTheirKindsOrFailNamingTheOption() {
        TrainerSettings cpc = TrainerSettings.from(vector("kontrast.input.shape", "28x28", "kontrast.objective", "cpc"));
        assertThat(cpc.encoder()).isEqualTo("cnn1d-steps");
        assertThat(cpc.cpcFirstOffset()).isEqualTo(4);
        assertThat(TrainerSettings.from(vector("kontrast.input.shape", "28x28", "kontrast.objective", "cpc",
                "kontrast.cpc.min-offset", "1")).cpcFirstOffset()).isEqualTo(1);
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "16x28", "kontrast.objective", "cpc")))
                .hasMessageContaining("kontrast.cpc.steps-ahead").hasMessageContaining("4 steps");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.objective", "cpc")))
                .hasMessageContaining("kontrast.objective").hasMessageContaining("sequence input");

        TrainerSettings clip = TrainerSettings.from(vector("kontrast.input.parts", "top=1x14x28,bottom=1x14x28", "kontrast.objective", "clip"));
        assertThat(clip.encoder()).isEqualTo("towers");
        assertThat(clip.paired()).isTrue();
        assertThat(clip.inputSize()).isEqualTo(784);
        assertThat(clip.parts()).extracting(TrainerSettings.Part::name).containsExactly("top", "bottom");
        assertThat(clip.views().corruptionRate()).as("a pair's parts are not mixed with other samples'").isZero();
        assertThat(clip.network().outputDim()).isEqualTo(2 * TrainerSettings.CLIP_EMBEDDING);
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.objective", "clip")))
                .hasMessageContaining("kontrast.objective").hasMessageContaining("kontrast.input.parts");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.parts", "top=1x14x28,bottom=1x14x28")))
                .hasMessageContaining("kontrast.objective").hasMessageContaining("clip");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.parts", "top=1x14x28", "kontrast.objective", "clip")))
                .hasMessageContaining("kontrast.input.parts").hasMessageContaining("two parts");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.parts", "top:1x14x28,x=2", "kontrast.objective", "clip")))
                .hasMessageContaining("kontrast.input.parts").hasMessageContaining("name=shape");
    }

    @Test
    void aSequenceInputIsTxFAndSnapshotsItAsTheWireHasIt() {
        Configuration conf = new Configuration();
        conf.setString(KontrastOptions.INPUT_SHAPE.key(), "50x6");
        TrainerSettings s = TrainerSettings.from(conf);
        assertThat(s.inputShape().isSequence()).isTrue();
        assertThat(s.inputShape().steps()).isEqualTo(50);
        assertThat(s.inputShape().channels()).isEqualTo(6);
        assertThat(s.inputShape()).hasToString("50x6");
        assertThat(s.snapshotInputShape()).containsExactly(50, 6);
        assertThat(s.encoder()).isEqualTo("cnn1d");
        assertThat(s.views().scaling()).isEqualTo(0.2);
        assertThat(s.views().timeMask()).isEqualTo(0.1);
        // Sequences take SCARF's corruption at 0.3 unless it is set; tokens none unless it is set.
        assertThat(s.views().corruptionRate()).isEqualTo(TrainerSettings.SEQUENCE_CORRUPTION_RATE).isEqualTo(0.3);
        Configuration set = new Configuration(conf);
        set.setString(KontrastOptions.CORRUPTION_RATE.key(), "0.6");
        assertThat(TrainerSettings.from(set).views().corruptionRate()).isEqualTo(0.6);
        Configuration tokens = new Configuration();
        tokens.setString(KontrastOptions.INPUT_SHAPE.key(), "12");
        tokens.setString(KontrastOptions.INPUT_VOCAB.key(), "50");
        assertThat(TrainerSettings.from(tokens).views().corruptionRate()).isZero();
        tokens.setString(KontrastOptions.CORRUPTION_RATE.key(), "0.2");
        assertThat(TrainerSettings.from(tokens).views().corruptionRate()).isEqualTo(0.2);
        // sop's third class (other samples' segments): validated, naming the option.
        conf.setString(KontrastOptions.OBJECTIVE.key(), "sop");
        conf.setString(KontrastOptions.SOP_OTHER_FRACTION.key(), "0.4");
        assertThat(TrainerSettings.from(conf).objective().sopOtherFraction()).isEqualTo(0.4);
        conf.setString(KontrastOptions.SOP_OTHER_FRACTION.key(), "1");
        assertThatThrownBy(() -> TrainerSettings.from(conf)).hasMessageContaining("kontrast.sop.other-fraction");
        conf.removeConfig(KontrastOptions.SOP_OTHER_FRACTION);
        // sop's content term: on by default, 0 turns it off, a negative weight is refused by name.
        assertThat(TrainerSettings.from(conf).objective().sopContrastWeight()).isEqualTo(1.0);
        conf.setString(KontrastOptions.SOP_CONTRAST_WEIGHT.key(), "0");
        assertThat(TrainerSettings.from(conf).objective().sopContrastWeight()).isZero();
        conf.setString(KontrastOptions.SOP_CONTRAST_WEIGHT.key(), "-0.5");
        assertThatThrownBy(() -> TrainerSettings.from(conf)).hasMessageContaining("kontrast.sop.contrast-weight");
        conf.removeConfig(KontrastOptions.SOP_CONTRAST_WEIGHT);
        // byol's target momentum: constant by default, or cosine; anything else is refused by name.
        assertThat(TrainerSettings.from(conf).objective().byolMomentumSchedule()).isFalse();
        conf.setString(KontrastOptions.BYOL_TARGET_MOMENTUM.key(), "cosine");
        assertThat(TrainerSettings.from(conf).objective().byolMomentumSchedule()).isTrue();
        conf.setString(KontrastOptions.BYOL_TARGET_MOMENTUM.key(), "linear");
        assertThatThrownBy(() -> TrainerSettings.from(conf)).hasMessageContaining("kontrast.byol.target-momentum");
        conf.removeConfig(KontrastOptions.BYOL_TARGET_MOMENTUM);
        conf.setString(KontrastOptions.OBJECTIVE.key(), "context");
        assertThatThrownBy(() -> TrainerSettings.from(conf)).hasMessageContaining("kontrast.objective").hasMessageContaining("sequence");
        Configuration rows = new Configuration();
        rows.setString(KontrastOptions.INPUT_SHAPE.key(), "28x28");
        rows.setString(KontrastOptions.PROBE_SET.key(), "synthetic");
        assertThat(TrainerSettings.from(rows).probeSet()).isEqualTo("synthetic");
        rows.setString(KontrastOptions.TIME_MASK.key(), "0.95");
        assertThatThrownBy(() -> TrainerSettings.from(rows)).hasMessageContaining("kontrast.views.time-mask");
    }

    /**
     * Deep InfoMax needs a feature map: the cnn1d's last convolution gives one over time, so it
     * trains on sequences (each time position of the map picks its own sequence's embedding).
     */
    @Test
    void deepInfoMaxTakesTheCnn1dsFeatureMapOverTime() {
        io.kontrast.math.Nd4jRuntime.init();
        Configuration conf = new Configuration();
        conf.setString(KontrastOptions.INPUT_SHAPE.key(), "16x3");
        conf.setString(KontrastOptions.OBJECTIVE.key(), "dim");
        conf.setString(KontrastOptions.BATCH_SIZE.key(), "8");
        conf.setString(KontrastOptions.BN_GROUPS.key(), "1");
        TrainerSettings s = TrainerSettings.from(conf);
        try (var learner = s.newLearner(1)) {
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
            float[] a = new float[8 * 48];
            for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
            var x = org.nd4j.linalg.factory.Nd4j.createFromArray(a).reshape(8, 48);
            String[] ids = new String[8];
            for (int i = 0; i < 8; i++) ids[i] = "s" + i;
            for (int step = 0; step < 3; step++) assertThat(learner.step(x, x.add(0.1), ids)).isFinite();
        }
    }

    /**
     * Per-channel normalisation: one mean and std per colour channel, sequence feature or vector
     * feature reach the views; one channel is the scalar pair; what does not fit fails at startup
     * naming the option.
     */
    @Test
    void perChannelStatisticsReachTheViewsOrFailNamingTheOption() {
        TrainerSettings rgb = TrainerSettings.from(vector("kontrast.input.shape", "3x32x32",
                "kontrast.input.channel-mean", "0.49;0.48;0.45", "kontrast.input.channel-std", "0.25;0.24;0.26"));
        var stats = rgb.views().channelStats();
        assertThat(stats.channels()).isEqualTo(3);
        assertThat(stats.mean(1)).isEqualTo(0.48f);
        assertThat(stats.std(2)).isEqualTo(0.26f);
        assertThat(rgb.views().normalization(3)).isEqualTo(stats);
        assertThat((double) rgb.views().inputMean()).isCloseTo((0.49 + 0.48 + 0.45) / 3, org.assertj.core.data.Offset.offset(1e-6));

        TrainerSettings seq = TrainerSettings.from(vector("kontrast.input.shape", "10x4",
                "kontrast.input.channel-mean", "1;2;3;4", "kontrast.input.channel-std", "1;1;2;2"));
        assertThat(seq.views().channelStats().channels()).isEqualTo(4);
        assertThat(TrainerSettings.from(vector("kontrast.input.channel-mean", String.join(";", java.util.Collections.nCopies(32, "0.5")),
                "kontrast.input.channel-std", String.join(";", java.util.Collections.nCopies(32, "2")))).views().channelStats().channels())
                .isEqualTo(32);

        TrainerSettings gray = TrainerSettings.from(vector("kontrast.input.shape", "1x28x28",
                "kontrast.input.channel-mean", "0.3", "kontrast.input.channel-std", "0.4"));
        assertThat(gray.views().channelStats()).isNull();
        assertThat(gray.views().inputMean()).isEqualTo(0.3f);
        assertThat(gray.views().inputStd()).isEqualTo(0.4f);

        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "3x32x32",
                "kontrast.input.channel-mean", "0.5;0.5", "kontrast.input.channel-std", "0.2;0.2")))
                .hasMessageContaining("kontrast.input.channel-mean").hasMessageContaining("3 (channels of the image 3x32x32), got 2");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "3x32x32",
                "kontrast.input.channel-mean", "0.5;0.5;0.5")))
                .hasMessageContaining("kontrast.input.channel-std").hasMessageContaining("must be set with");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "3x32x32",
                "kontrast.input.channel-mean", "0.5;0.5;0.5", "kontrast.input.channel-std", "0.2;0;0.2")))
                .hasMessageContaining("kontrast.input.channel-std").hasMessageContaining("value 1");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "3x32x32",
                "kontrast.input.channel-mean", "0.5;x;0.5", "kontrast.input.channel-std", "0.2;0.2;0.2")))
                .hasMessageContaining("kontrast.input.channel-mean");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "3x32x32", "kontrast.input.mean", "0.4",
                "kontrast.input.channel-mean", "0.5;0.5;0.5", "kontrast.input.channel-std", "0.2;0.2;0.2")))
                .hasMessageContaining("kontrast.input.channel-mean").hasMessageContaining("kontrast.input.mean");
        assertThatThrownBy(() -> TrainerSettings.from(vector("kontrast.input.shape", "28", "kontrast.input.vocab", "129",
                "kontrast.input.channel-mean", "0.5", "kontrast.input.channel-std", "0.2")))
                .hasMessageContaining("kontrast.input.channel-mean").hasMessageContaining("token");
    }
}
