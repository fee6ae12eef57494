package io.kontrast.operators.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kontrast.math.MocoLearner;
import io.kontrast.operators.KontrastOptions;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.replay.ReplayBuffer;
import io.kontrast.operators.decode.ImageSample;
import io.kontrast.operators.views.ViewPair;
import io.kontrast.schemas.EncoderSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MocoTrainerOperatorTest {
    static final int BATCH = 8;

    static TrainerSettings settings(long maxSamples) {
        return settings(maxSamples, "mlp");
    }

    static TrainerSettings settings(long maxSamples, String encoder) {
        Configuration conf = conf(maxSamples);
        conf.set(KontrastOptions.ENCODER, encoder);
        return TrainerSettings.from(conf);
    }

    /**
     * The tests' small trainer: batches of 8, K = 32, a snapshot every 3 steps, trained on the
     * stream as it comes (the replay buffer's tests set their policy).
     */
    static Configuration conf(long maxSamples) {
        Configuration conf = new Configuration();
        conf.set(KontrastOptions.REPLAY_POLICY, "none");
        conf.set(KontrastOptions.BATCH_SIZE, BATCH);
        conf.set(KontrastOptions.QUEUE_SIZE, 32);
        conf.set(KontrastOptions.SNAPSHOT_EVERY, 3);
        conf.set(KontrastOptions.WARMUP_STEPS, 2);
        conf.set(KontrastOptions.MAX_SAMPLES, maxSamples);
        return conf;
    }

    static List<ImageSample> pairs(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<ImageSample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] pixels = new float[784];
            for (int j = 0; j < 784; j++) {
                pixels[j] = (float) rnd.nextDouble();
            }
            out.add(new ImageSample("s" + seed + "-" + i, 0L, 28, 28, pixels, i % 10));
        }
        return out;
    }

    /** The samples' 28×28 values as sequences of 28 steps of 28 features. */
    /** The same values as paired samples: one row of a top and a bottom half, as the trainer holds a pair. */
    static List<ImageSample> asPairs(List<ImageSample> images) {
        List<ImageSample> out = new ArrayList<>();
        for (ImageSample s : images) out.add(new ImageSample(s.id, s.eventTime, 784, 1, 1, s.pixels, s.label));
        return out;
    }

    /** The samples as packed graphs of 8 node slots of 4 features (ids and labels kept; the values drawn from each id). */
    static List<ImageSample> asGraphs(List<ImageSample> images) {
        int nodes = 8;
        int features = 4;
        int c = features + nodes + 1;
        List<ImageSample> out = new ArrayList<>();
        for (ImageSample s : images) {
            float[] v = io.kontrast.math.nn.RandomGraphs.packed(new SplittableRandom(s.id.hashCode()), 1, nodes, features)
                    .toFloatVector();
            out.add(new ImageSample(s.id, s.eventTime, c, 1, nodes, v, s.label));
        }
        return out;
    }

    static List<ImageSample> asSequences(List<ImageSample> images) {
        List<ImageSample> out = new ArrayList<>();
        for (ImageSample s : images) out.add(new ImageSample(s.id, s.eventTime, 28, 1, 28, s.pixels, s.label));
        return out;
    }

    /** View pairs built beforehand, as an earlier version kept a partial batch in its state. */
    static List<ViewPair> builtPairs(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<ViewPair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] a = new float[784];
            float[] b = new float[784];
            for (int j = 0; j < 784; j++) {
                a[j] = (float) rnd.nextGaussian();
                b[j] = a[j] + 0.1f * (float) rnd.nextGaussian();
            }
            out.add(new ViewPair("b" + seed + "-" + i, 0, i % 10, a, b));
        }
        return out;
    }

    static KeyedOneInputStreamOperatorTestHarness<Integer, ImageSample, EncoderSnapshot> harness(
            TrainerSettings settings) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new MocoTrainerOperator(settings), (ImageSample v) -> 0, Types.INT);
        h.setStateBackend(new EmbeddedRocksDBStateBackend(true));
        return h;
    }

    static void feed(KeyedOneInputStreamOperatorTestHarness<Integer, ImageSample, EncoderSnapshot> h,
            List<ImageSample> pairs) throws Exception {
        for (ImageSample p : pairs) {
            h.processElement(p, 0L);
        }
    }

    /** Feeds both the same input: the restored run reaches {@code step} with the original's loss, parameters and statistics. */
    static void continuesAlike(KeyedOneInputStreamOperatorTestHarness<Integer, ImageSample, EncoderSnapshot> original,
            KeyedOneInputStreamOperatorTestHarness<Integer, ImageSample, EncoderSnapshot> restored,
            List<ImageSample> next, long step) throws Exception {
        feed(original, next);
        feed(restored, next);
        var a = ((MocoTrainerOperator) original.getOperator()).view(0);
        var b = ((MocoTrainerOperator) restored.getOperator()).view(0);
        assertThat(b.progress().step).isEqualTo(step);
        assertThat(b.progress().lastLoss).isEqualTo(a.progress().lastLoss);
        assertThat(b.learner().params()).isEqualTo(a.learner().params());
        assertThat(b.learner().stats()).isEqualTo(a.learner().stats());
    }

    @Test
    void batchBuffersWriteThroughToNativeMemory() {
        INDArray x = Nd4j.create(DataType.FLOAT, 2, 3);
        x.data().asNioFloat().put(4, 5f);
        assertThat(x.getFloat(1, 1)).isEqualTo(5f);
    }

    /** A trainer fed {@code samples} and checkpointed, and one restored from its checkpoint. */
    record Restored(KeyedOneInputStreamOperatorTestHarness<Integer, ImageSample, EncoderSnapshot> original,
            KeyedOneInputStreamOperatorTestHarness<Integer, ImageSample, EncoderSnapshot> restored,
            MocoTrainerOperator.TrainerView saved, MocoTrainerOperator.TrainerView loaded) {
        MocoTrainerOperator originalOperator() {
            return (MocoTrainerOperator) original.getOperator();
        }

        MocoTrainerOperator restoredOperator() {
            return (MocoTrainerOperator) restored.getOperator();
        }

        void close() throws Exception {
            original.close();
            restored.close();
        }
    }

    static Restored checkpointAndRestore(TrainerSettings settings, List<ImageSample> samples) throws Exception {
        var original = harness(settings);
        original.open();
        feed(original, samples);
        OperatorSubtaskState checkpoint = original.snapshot(1L, 1L);
        var saved = ((MocoTrainerOperator) original.getOperator()).view(0);
        var restored = harness(settings);
        restored.initializeState(checkpoint);
        restored.open();
        return new Restored(original, restored, saved, ((MocoTrainerOperator) restored.getOperator()).view(0));
    }

    /**
     * The restored trainer's progress, pending samples, parameters, momentum, statistics and
     * every piece of its objective's state are those saved.
     */
    static void assertLearnerRestored(MocoTrainerOperator.TrainerView saved, MocoTrainerOperator.TrainerView loaded,
            int pending) {
        assertThat(loaded.progress()).isEqualTo(saved.progress());
        assertThat(loaded.pending()).isEqualTo(pending);
        assertThat(loaded.learner().params()).isEqualTo(saved.learner().params());
        assertThat(loaded.learner().velocity()).isEqualTo(saved.learner().velocity());
        assertThat(loaded.learner().stats()).isEqualTo(saved.learner().stats());
        assertThat(loaded.learner().state().keySet()).isEqualTo(saved.learner().state().keySet());
        for (var e : saved.learner().state().entrySet()) {
            assertThat(loaded.learner().state().get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(loaded.learner().queuePointer()).isEqualTo(saved.learner().queuePointer());
        assertThat(loaded.learner().step()).isEqualTo(saved.learner().step());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn"})
    void restoresEveryPartOfTheLearningStateAndContinuesIdentically(String encoder) throws Exception {
        TrainerSettings settings = settings(0, encoder);
        Restored r = checkpointAndRestore(settings, pairs(5 * BATCH + 3, 1));
        var original = r.original();
        var restored = r.restored();
        var saved = r.saved();
        var loaded = r.loaded();
        assertLearnerRestored(saved, loaded, 3);
        assertThat(loaded.progress().step).isEqualTo(5);
        assertThat(loaded.progress().version).isEqualTo(1);
        assertThat(loaded.progress().samplesSeen).isEqualTo(5 * BATCH);
        assertThat(loaded.learner().state()).containsKey("keyParams");
        if (encoder.equals("cnn")) {
            // Batch norm's running statistics moved away from their initial values (0 and 1).
            var fresh = settings.network();
            var initial = fresh.newStats();
            fresh.init(fresh.newParams(), initial, 1);
            assertThat(saved.learner().stats()).isNotEqualTo(initial);
        }
        assertThat(((MocoLearner) loaded.learner()).queue()).isEqualTo(((MocoLearner) saved.learner()).queue());
        assertThat(loaded.learner().queuePointer()).isEqualTo(5 * BATCH % 32);

        // The same input after the checkpoint gives the same losses and the same next snapshot.
        continuesAlike(original, restored, pairs(2 * BATCH - 3, 2), 7);

        List<EncoderSnapshot> fromOriginal = original.extractOutputValues();
        List<EncoderSnapshot> fromRestored = restored.extractOutputValues();
        assertThat(fromOriginal).extracting(EncoderSnapshot::getVersion).containsExactly(1L, 2L);
        assertThat(fromRestored).extracting(EncoderSnapshot::getVersion).containsExactly(2L);
        assertThat(fromRestored.get(0).getWeights()).isEqualTo(fromOriginal.get(1).getWeights());
        assertThat(fromRestored.get(0).getChecksum()).isEqualTo(fromOriginal.get(1).getChecksum());
        original.close();
        restored.close();
    }

    /** A checkpoint of one encoder, restored into a job configured with another, is refused with a message naming the option. */
    @Test
    void aCheckpointOfAnotherEncoderIsRefusedByName() throws Exception {
        var original = harness(settings(0, "mlp"));
        original.open();
        feed(original, pairs(BATCH + 3, 1));
        OperatorSubtaskState checkpoint = original.snapshot(1L, 1L);
        original.close();
        var restored = harness(settings(0, "cnn"));
        assertThatThrownBy(() -> {
            restored.initializeState(checkpoint);
            restored.open();
            feed(restored, pairs(BATCH, 2));
        }).hasStackTraceContaining("kontrast.encoder=cnn").hasStackTraceContaining("--fresh");
    }

    /**
     * Colour samples: a layer-list encoder on 3×16×16 input, with three RGB samples pending in the
     * checkpoint. Everything comes back, the pending samples with their three channels, and the
     * restored run steps exactly as the original.
     */
    @Test
    void restoresAColourTrainerWithItsPendingRgbSamples() throws Exception {
        Configuration conf = conf(0);
        conf.set(KontrastOptions.INPUT_SHAPE, "3x16x16");
        conf.set(KontrastOptions.ENCODER, "resnet");
        conf.set(KontrastOptions.RESNET_WIDTH, 4);
        conf.set(KontrastOptions.BN_GROUPS, 2);
        TrainerSettings settings = TrainerSettings.from(conf);
        Restored r = checkpointAndRestore(settings, rgb(4 * BATCH + 3, 5));
        var original = r.original();
        var restored = r.restored();
        assertLearnerRestored(r.saved(), r.loaded(), 3);
        assertThat(((MocoLearner) r.loaded().learner()).queue()).isEqualTo(((MocoLearner) r.saved().learner()).queue());
        continuesAlike(original, restored, rgb(2 * BATCH - 3, 6), 6);
        original.close();
        restored.close();
    }

    /** Synthetic shapes (ten classes of drawn figures) as samples. */
    static List<ImageSample> shapes(int n, long seed) {
        var set = io.kontrast.data.SyntheticShapes.generate(n, seed, "shapes");
        List<ImageSample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ImageSample("shape" + seed + "-" + i, 0L, 28, 28, set.image(i), set.labels()[i]));
        }
        return out;
    }

    static List<ImageSample> rgb(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<ImageSample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] pixels = new float[3 * 16 * 16];
            for (int j = 0; j < pixels.length; j++) pixels[j] = (float) rnd.nextDouble();
            out.add(new ImageSample("c" + seed + "-" + i, 0L, 3, 16, 16, pixels, i % 10));
        }
        return out;
    }

    /**
     * Each objective beside MoCo: its own state (a predictor, its momentum and statistics, BYOL's
     * target network) comes back from a RocksDB checkpoint equal to what was saved, and the restored
     * run steps exactly as the original. Snapshots say which objective trained them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"simclr", "simsiam", "byol", "instdisc", "dim", "context", "sop", "sop:other", "cpc", "clip", "dgi"})
    void restoresEachObjectivesStateAndContinuesIdentically(String objectiveAndVariant) throws Exception {
        Configuration conf = conf(0);
        // sop:other: sentence order with the third class (segments of two samples), a three-class head.
        String objective = objectiveAndVariant.split(":")[0];
        if (objectiveAndVariant.endsWith(":other")) conf.set(KontrastOptions.SOP_OTHER_FRACTION, 0.4);
        // Sentence-order prediction and CPC take sequences: the same values as 28 steps of 28
        // features; CLIP pairs: the same values as the top and bottom halves, one row of both.
        boolean sequences = objective.equals("sop") || objective.equals("cpc");
        boolean paired = objective.equals("clip");
        boolean graphs = objective.equals("dgi");
        if (graphs) {
            conf.set(KontrastOptions.INPUT_GRAPH, true);
            conf.set(KontrastOptions.INPUT_SHAPE, "8x4");
        } else if (paired) {
            conf.set(KontrastOptions.INPUT_PARTS, "top=1x14x28,bottom=1x14x28");
        } else {
            conf.set(KontrastOptions.ENCODER, objective.equals("cpc") ? "cnn1d-steps" : sequences ? "cnn1d" : "cnn");
        }
        if (sequences) conf.set(KontrastOptions.INPUT_SHAPE, "28x28");
        conf.set(KontrastOptions.OBJECTIVE, objective);
        conf.set(KontrastOptions.PREDICTOR_HIDDEN, 32);
        // 43 samples, 40 trained on: the bank of 32 is full and has given its oldest slots to new instances.
        conf.set(KontrastOptions.INSTDISC_BANK_SIZE, 32);
        conf.set(KontrastOptions.INSTDISC_NEGATIVES, 16);
        TrainerSettings settings = TrainerSettings.from(conf);
        java.util.function.UnaryOperator<List<ImageSample>> kind = graphs ? MocoTrainerOperatorTest::asGraphs
                : paired ? MocoTrainerOperatorTest::asPairs
                : sequences ? MocoTrainerOperatorTest::asSequences : x -> x;
        Restored r = checkpointAndRestore(settings, kind.apply(pairs(5 * BATCH + 3, 21)));
        var original = r.original();
        var restored = r.restored();
        var saved = r.saved();
        assertThat(saved.learner().objective()).isEqualTo(objective);
        var fresh = settings.newLearner(settings.seed());
        var state = saved.learner().state();
        assertThat(state.keySet()).containsExactlyElementsOf(fresh.state().keySet());
        if (objective.equals("instdisc")) {
            assertThat(saved.learner().bank().filled()).isEqualTo(32);
            assertThat(saved.learner().bank().pointer()).isEqualTo(40 - 32);
        } else if (paired) {
            assertThat(state).containsKeys("logitScale", "logitScaleVelocity");
            assertThat(state.get("logitScale")).isNotEqualTo(fresh.state().get("logitScale"));
        } else if (graphs) {
            assertThat(state).containsKeys("discriminator", "discriminatorVelocity");
            assertThat(state.get("discriminator")).isNotEqualTo(fresh.state().get("discriminator"));
        } else if (objective.equals("cpc")) {
            assertThat(state).containsKeys("contextParams", "contextVelocity");
            assertThat(state.get("contextParams")).isNotEqualTo(fresh.state().get("contextParams"));
        } else if (objective.equals("dim")) {
            assertThat(state).containsKeys("localParams", "localVelocity");
            assertThat(state.get("localParams")).isNotEqualTo(fresh.state().get("localParams"));
        } else if (objective.equals("context") || objective.equals("sop")) {
            assertThat(state).containsKeys("headParams", "headVelocity", "headStats");
            assertThat(state.get("headParams")).isNotEqualTo(fresh.state().get("headParams"));
        } else if (!objective.equals("simclr")) {
            assertThat(state).containsKeys("predictorParams", "predictorVelocity", "predictorStats");
            // Trained: the predictor moved away from its initial parameters.
            assertThat(state.get("predictorParams")).isNotEqualTo(fresh.state().get("predictorParams"));
        }
        if (objective.equals("byol")) {
            assertThat(state.get("targetParams")).isNotEqualTo(saved.learner().params());
            assertThat(state.get("targetParams")).isNotEqualTo(fresh.state().get("targetParams"));
        }
        fresh.close();

        var loaded = r.loaded();
        assertLearnerRestored(saved, loaded, 3);
        if (objective.equals("instdisc")) {
            var a = saved.learner().bank();
            var b = loaded.learner().bank();
            assertThat(b.filled()).isEqualTo(a.filled());
            assertThat(b.pointer()).isEqualTo(a.pointer());
            for (int slot = 0; slot < a.capacity(); slot++) {
                assertThat(b.instance(slot)).isEqualTo(a.instance(slot));
                assertThat(b.vector(slot)).containsExactly(a.vector(slot));
            }
        }
        continuesAlike(original, restored, kind.apply(pairs(2 * BATCH - 3, 22)), 7);
        List<EncoderSnapshot> fromOriginal = original.extractOutputValues();
        List<EncoderSnapshot> fromRestored = restored.extractOutputValues();
        assertThat(fromOriginal).extracting(EncoderSnapshot::getObjective).containsOnly(objective);
        // A classifier head's accuracy goes along in the snapshot's metrics; no other objective has one.
        for (EncoderSnapshot s : fromOriginal) {
            if (objective.equals("context") || objective.equals("sop")) {
                assertThat(s.getMetrics().get("head_accuracy")).isBetween(0.0, 1.0);
            } else {
                assertThat(s.getMetrics()).doesNotContainKey("head_accuracy");
            }
        }
        // A pair's towers go out as a snapshot each, named by part, of one version.
        int perVersion = paired ? 2 : 1;
        for (int i = 0; i < perVersion; i++) {
            assertThat(fromRestored.get(i).getChecksum()).isEqualTo(fromOriginal.get(perVersion + i).getChecksum());
        }
        if (paired) {
            assertThat(fromOriginal.subList(0, 2)).extracting(x -> x.getModelId().toString())
                    .containsExactly(settings.modelId() + ".top", settings.modelId() + ".bottom");
            assertThat(fromOriginal.get(0).getVersion()).isEqualTo(fromOriginal.get(1).getVersion());
            assertThat(fromOriginal.get(0).getInputShape()).containsExactly(1, 14, 28);
        }
        original.close();
        restored.close();
    }

    /**
     * The replay buffer is keyed state: after a checkpoint every slot (sample, replay count,
     * feature) and every neighbour record comes back, and the restored run evicts, draws and steps
     * exactly as the original. The counters stay honest: samples read, steps and replayed samples
     * each count what they say.
     */
    @ParameterizedTest
    @ValueSource(strings = {"reservoir", "min-redundancy"})
    void restoresTheReplayBufferAndContinuesIdentically(String policy) throws Exception {
        Configuration conf = conf(0);
        conf.set(KontrastOptions.REPLAY_POLICY, policy);
        conf.set(KontrastOptions.REPLAY_SIZE, 20);
        conf.set(KontrastOptions.REPLAY_STEPS_PER_BATCH, 2);
        conf.set(KontrastOptions.REPLAY_FRESH_FRACTION, 0.5);
        TrainerSettings settings = TrainerSettings.from(conf);
        Restored r = checkpointAndRestore(settings, pairs(5 * BATCH + 3, 31));
        var original = r.original();
        var restored = r.restored();
        var saved = r.saved();
        ReplayBuffer buffer = ((MocoTrainerOperator) original.getOperator()).replayBuffer(0);
        // 5 batches read, 2 steps each; the first batch's steps had an empty buffer (all 8 rows
        // read samples), then each step takes 4 read samples and 4 from the buffer.
        assertThat(saved.progress().samplesSeen).isEqualTo(5 * BATCH);
        assertThat(saved.progress().step).isEqualTo(10);
        assertThat(saved.progress().replayed).isEqualTo(4 * 2 * BATCH / 2);
        assertThat(buffer.filled()).isEqualTo(20);
        assertThat(buffer.offered()).isEqualTo(5 * BATCH);
        int sightings = 0;
        for (int slot = 0; slot < buffer.filled(); slot++) sightings += buffer.sightings(slot);
        assertThat(sightings).isPositive();

        ReplayBuffer back = r.restoredOperator().replayBuffer(0);
        assertLearnerRestored(saved, r.loaded(), 3);
        assertThat(back.filled()).isEqualTo(buffer.filled());
        assertThat(back.offered()).isEqualTo(buffer.offered());
        for (int slot = 0; slot < buffer.filled(); slot++) {
            var x = buffer.slot(slot);
            var y = back.slot(slot);
            assertThat(y.id).isEqualTo(x.id);
            assertThat(y.pixels).containsExactly(x.pixels);
            assertThat(y.sightings).isEqualTo(x.sightings);
            if (policy.equals("min-redundancy")) {
                assertThat(y.feature).containsExactly(x.feature);
                assertThat(back.packedNeighbour(slot)).isEqualTo(buffer.packedNeighbour(slot));
            }
        }
        continuesAlike(original, restored, pairs(2 * BATCH - 3, 32), 14);
        assertThat(((MocoTrainerOperator) restored.getOperator()).view(0).progress())
                .isEqualTo(((MocoTrainerOperator) original.getOperator()).view(0).progress());
        var after = ((MocoTrainerOperator) restored.getOperator()).replayBuffer(0);
        var afterOriginal = ((MocoTrainerOperator) original.getOperator()).replayBuffer(0);
        for (int slot = 0; slot < after.filled(); slot++) {
            assertThat(after.id(slot)).isEqualTo(afterOriginal.id(slot));
            assertThat(after.sightings(slot)).isEqualTo(afterOriginal.sightings(slot));
        }
        List<EncoderSnapshot> fromOriginal = original.extractOutputValues();
        List<EncoderSnapshot> fromRestored = restored.extractOutputValues();
        assertThat(fromRestored.get(fromRestored.size() - 1).getChecksum())
                .isEqualTo(fromOriginal.get(fromOriginal.size() - 1).getChecksum());
        assertThat(fromOriginal.get(0).getMetrics()).containsKeys("replayed", "replay_fill");
        // The last snapshot, at step 12, is of the sixth batch read.
        assertThat(fromOriginal.get(fromOriginal.size() - 1).getStep()).isEqualTo(12);
        assertThat(fromOriginal.get(fromOriginal.size() - 1).getSamplesSeen()).isEqualTo(6 * BATCH);
        assertThat(fromOriginal.get(fromOriginal.size() - 1).getMetrics().get("replayed")).isEqualTo(5.0 * 2 * BATCH / 2);
        original.close();
        restored.close();
    }

    /** With a sample budget, the trainer reads exactly the budget and its last snapshot says so. */
    @Test
    void aReplayRunStopsAtItsBudgetOfSamplesRead() throws Exception {
        Configuration conf = conf(6 * BATCH);
        conf.set(KontrastOptions.REPLAY_POLICY, "min-redundancy");
        conf.set(KontrastOptions.REPLAY_SIZE, 16);
        conf.set(KontrastOptions.REPLAY_STEPS_PER_BATCH, 2);
        conf.set(KontrastOptions.REPLAY_FRESH_FRACTION, 0.5);
        var h = harness(TrainerSettings.from(conf));
        h.open();
        feed(h, pairs(8 * BATCH, 33));
        var view = ((MocoTrainerOperator) h.getOperator()).view(0);
        assertThat(view.progress().samplesSeen).isEqualTo(6 * BATCH);
        assertThat(view.progress().step).isEqualTo(12);
        List<EncoderSnapshot> out = h.extractOutputValues();
        EncoderSnapshot last = out.get(out.size() - 1);
        assertThat(last.getSamplesSeen()).isEqualTo(6 * BATCH);
        assertThat(last.getStep()).isEqualTo(12);
        assertThat(last.getMetrics().get("replayed")).isEqualTo((double) view.progress().replayed).isPositive();
        h.close();
    }

    @Test
    void badReplayOptionsAreRefusedByName() {
        Configuration conf = conf(0);
        conf.set(KontrastOptions.REPLAY_POLICY, "fifo");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TrainerSettings.from(conf))
                .hasMessageContaining("kontrast.replay.policy");
        conf.set(KontrastOptions.REPLAY_POLICY, "min-redundancy");
        conf.set(KontrastOptions.REPLAY_FRESH_FRACTION, 1.5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TrainerSettings.from(conf))
                .hasMessageContaining("kontrast.replay.fresh-fraction");
        conf.set(KontrastOptions.REPLAY_FRESH_FRACTION, 0.5);
        conf.set(KontrastOptions.REPLAY_STEPS_PER_BATCH, 0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TrainerSettings.from(conf))
                .hasMessageContaining("kontrast.replay.steps-per-batch");
    }

    /**
     * With one step per batch read and half of each step's batch from the stream, half the
     * samples read are never in a step: they go into the buffer with features from the encoder's
     * projection, and the minimum-redundancy buffer compares them like the others.
     */
    @Test
    void samplesNoStepTakesEnterTheBufferWithAFeature() throws Exception {
        Configuration conf = conf(0);
        conf.set(KontrastOptions.REPLAY_POLICY, "min-redundancy");
        conf.set(KontrastOptions.REPLAY_SIZE, 64);
        conf.set(KontrastOptions.REPLAY_STEPS_PER_BATCH, 1);
        conf.set(KontrastOptions.REPLAY_FRESH_FRACTION, 0.5);
        var h = harness(TrainerSettings.from(conf));
        h.open();
        feed(h, pairs(4 * BATCH, 34));
        var view = ((MocoTrainerOperator) h.getOperator()).view(0);
        ReplayBuffer buffer = ((MocoTrainerOperator) h.getOperator()).replayBuffer(0);
        assertThat(view.progress().step).isEqualTo(4);
        assertThat(view.progress().samplesSeen).isEqualTo(4 * BATCH);
        assertThat(buffer.filled()).isEqualTo(4 * BATCH);
        for (int slot = 0; slot < buffer.filled(); slot++) {
            float[] f = buffer.slot(slot).feature;
            double norm = 0;
            for (float v : f) norm += v * v;
            assertThat(norm).as("slot %d", slot).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
            assertThat(buffer.neighbour(slot)).isBetween(0, buffer.filled() - 1).isNotEqualTo(slot);
        }
        h.close();
    }

    /**
     * SimSiam without its stop-gradient collapses: every output becomes the same vector, the
     * collapse alarm goes up and no snapshot is published. With it, the same stream publishes.
     */
    @Test
    void simSiamWithoutItsStopGradientCollapsesAndTheAlarmWithholdsSnapshots() throws Exception {
        for (boolean stop : new boolean[] {false, true}) {
            Configuration conf = conf(0);
            conf.set(KontrastOptions.OBJECTIVE, "simsiam");
            conf.set(KontrastOptions.STOP_GRADIENT, stop);
            conf.set(KontrastOptions.PREDICTOR_HIDDEN, 64);
            conf.set(KontrastOptions.BASE_LR, 1.0);
            conf.set(KontrastOptions.SNAPSHOT_EVERY, 20);
            conf.set(KontrastOptions.COLLAPSE_MIN_STD, 0.02);
            var h = harness(TrainerSettings.from(conf));
            h.open();
            feed(h, shapes(200 * BATCH, 23));
            var op = (MocoTrainerOperator) h.getOperator();
            double std = op.view(0).learner().embeddingStd();
            System.out.printf("simsiam, stop-gradient %s: embedding std %.4f, %d snapshots, %d withheld%n",
                    stop, std, h.extractOutputValues().size(), op.withheldSnapshotCount());
            if (stop) {
                assertThat(std).isGreaterThan(0.02);
                assertThat(h.extractOutputValues()).hasSize(10);
            } else {
                assertThat(std).isLessThan(0.02);
                assertThat(op.withheldSnapshotCount()).isGreaterThan(0);
                assertThat(h.extractOutputValues().size()).isLessThan(10);
            }
            h.close();
        }
    }

    @Test
    void secondCheckpointWritesOnlyTheQueueSlotsChangedSinceTheFirst() throws Exception {
        var h = harness(settings(0));
        h.open();
        feed(h, pairs(4 * BATCH, 3));
        h.snapshot(1L, 1L);
        feed(h, pairs(BATCH, 4));
        OperatorSubtaskState second = h.snapshot(2L, 2L);
        var saved = ((MocoTrainerOperator) h.getOperator()).view(0);

        // A restore from the second checkpoint alone still has the whole queue (RocksDB keeps
        // the slots written at the first one); the point is that it equals what was saved.
        var restored = harness(settings(0));
        restored.initializeState(second);
        restored.open();
        var loaded = ((MocoTrainerOperator) restored.getOperator()).view(0);
        assertThat(((MocoLearner) loaded.learner()).queue()).isEqualTo(((MocoLearner) saved.learner()).queue());
        assertThat(loaded.progress().queueFilled).isEqualTo(32);
        h.close();
        restored.close();
    }

    @Test
    void snapshotsReportTheStepTimeAndTheShareOfTheTrainersTimeInSteps() throws Exception {
        var h = harness(settings(0));
        h.open();
        List<ImageSample> p = pairs(3 * BATCH, 13);
        // Three steps (a snapshot every 3), with the trainer idle for 300 ms between them: the
        // steps of batch 8 take a few ms, so they fill a small share of the window.
        for (int step = 0; step < 3; step++) {
            if (step > 0) Thread.sleep(300);
            feed(h, p.subList(step * BATCH, (step + 1) * BATCH));
        }
        EncoderSnapshot s = h.extractOutputValues().get(0);
        double stepMs = s.getMetrics().get("step_ms");
        double share = s.getMetrics().get("step_share");
        assertThat(stepMs).isGreaterThan(0.0);
        assertThat(share).isGreaterThan(0.0).isLessThan(0.5);
        // Building a batch's views is timed apart from the step.
        assertThat(s.getMetrics().get("views_ms")).isGreaterThan(0.0).isLessThan(300.0);
        // The first lane's wait for the second is part of the step (0 without lanes).
        assertThat(s.getMetrics().get("lane_wait_ms")).isGreaterThanOrEqualTo(0.0).isLessThan(stepMs + s.getMetrics().get("views_ms"));
        // The share is the steps' time over the window from the first step to the snapshot.
        assertThat(3 * stepMs / share).isGreaterThanOrEqualTo(600.0);
        h.close();
    }

    /**
     * {@code kontrast.trainer.lanes} reaches the learner; both ways train to the same parameters,
     * and closing the operator stops the lanes' helper thread.
     */
    @Test
    void lanesOptionTrainsAlikeAndCloseStopsTheHelperThread() throws Exception {
        long before = laneThreads();
        Configuration conf = new Configuration();
        conf.set(KontrastOptions.BATCH_SIZE, BATCH);
        conf.set(KontrastOptions.QUEUE_SIZE, 32);
        conf.set(KontrastOptions.SNAPSHOT_EVERY, 3);
        var withLanes = harness(TrainerSettings.from(conf));
        conf.set(KontrastOptions.TRAINER_LANES, false);
        var without = harness(TrainerSettings.from(conf));
        withLanes.open();
        without.open();
        feed(withLanes, pairs(5 * BATCH, 9));
        feed(without, pairs(5 * BATCH, 9));
        var a = ((MocoTrainerOperator) withLanes.getOperator()).view(0).learner();
        var b = ((MocoTrainerOperator) without.getOperator()).view(0).learner();
        assertThat(a.lanes()).isTrue();
        assertThat(b.lanes()).isFalse();
        assertThat(a.step()).isEqualTo(5);
        assertThat(a.params().sub(b.params()).amaxNumber().doubleValue()).isLessThan(1e-6);
        assertThat(laneThreads()).isEqualTo(before + 1);
        withLanes.close();
        without.close();
        assertThat(laneThreads()).isEqualTo(before);
    }

    private static long laneThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("kontrast-learner-lane"))
                .count();
    }

    @Test
    void stopsTrainingAtMaxSamplesAndPublishesAFinalSnapshot() throws Exception {
        var h = harness(settings(4 * BATCH));
        h.open();
        feed(h, pairs(6 * BATCH, 5));
        var v = ((MocoTrainerOperator) h.getOperator()).view(0);
        assertThat(v.progress().samplesSeen).isEqualTo(4 * BATCH);
        assertThat(v.progress().step).isEqualTo(4);
        List<EncoderSnapshot> out = h.extractOutputValues();
        assertThat(out).extracting(EncoderSnapshot::getStep).containsExactly(3L, 4L);
        assertThat(out).extracting(EncoderSnapshot::getSamplesSeen).containsExactly(3L * BATCH, 4L * BATCH);
        h.close();
    }

    @Test
    void aRunOfNonFiniteStepsRollsBackToTheLastPublishedParameters() throws Exception {
        var h = harness(settings(0));
        h.open();
        var op = (MocoTrainerOperator) h.getOperator();
        feed(h, pairs(3 * BATCH, 6)); // step 3 publishes v1
        INDArray published = op.view(0).learner().params().dup();
        feed(h, pairs(BATCH, 7)); // step 4 moves on
        assertThat(op.view(0).learner().params()).isNotEqualTo(published);
        List<ImageSample> poisoned = pairs(5 * BATCH, 8);
        poisoned.forEach(p -> java.util.Arrays.fill(p.pixels, Float.NaN));
        feed(h, poisoned);
        var v = op.view(0);
        assertThat(v.progress().skippedSteps).isEqualTo(5);
        assertThat(v.progress().step).isEqualTo(4);
        assertThat(op.rollbackCount()).isEqualTo(1);
        assertThat(v.learner().params()).isEqualTo(published);
        assertThat(v.learner().velocity().sumNumber().doubleValue()).isZero();
        // Training goes on from there.
        feed(h, pairs(BATCH, 9));
        assertThat(op.view(0).progress().step).isEqualTo(5);
        h.close();
    }

    @Test
    void aCollapsedEncoderRaisesTheAlarmAndPublishesNothing() throws Exception {
        var h = harness(settings(0));
        h.open();
        float[] same = pairs(1, 10).get(0).pixels;
        List<ImageSample> identical = new ArrayList<>();
        for (int i = 0; i < 6 * BATCH; i++) {
            // One id: the same views for every sample.
            identical.add(new ImageSample("same", 0L, 28, 28, same.clone(), -1));
        }
        feed(h, identical);
        var op = (MocoTrainerOperator) h.getOperator();
        assertThat(op.view(0).progress().step).isEqualTo(6);
        assertThat(h.extractOutputValues()).isEmpty();
        assertThat(op.withheldSnapshotCount()).isEqualTo(2);
        assertThat(op.view(0).progress().version).isZero();
        h.close();
    }

    @Test
    void incrementalCheckpointOneStepLaterWritesAboutOneBatchOfTheQueue(@TempDir java.nio.file.Path checkpoints) throws Exception {
        Configuration conf = new Configuration();
        conf.set(KontrastOptions.BATCH_SIZE, 256);
        conf.set(KontrastOptions.QUEUE_SIZE, 65536);
        TrainerSettings big = TrainerSettings.from(conf);
        var h = harness(big);
        // Checkpoint files on disk, as a job keeps them: a file RocksDB's background compaction
        // has merged can be larger than what the in-memory checkpoint storage accepts (5 MB).
        h.setCheckpointStorage(new org.apache.flink.runtime.state.storage.FileSystemCheckpointStorage(checkpoints.toUri()));
        h.open();
        feed(h, pairs(256, 11));
        long first = h.snapshot(1L, 1L).getCheckpointedSize();
        h.notifyOfCompletedCheckpoint(1L);
        feed(h, pairs(256, 12));
        long second = h.snapshot(2L, 2L).getCheckpointedSize();
        long queueBytes = 65536L * 128 * 4;
        long modelBytes = 3L * big.network().paramCount() * 4;
        System.out.printf("checkpoint sizes: first %,d B, one step later %,d B (queue %,d B, model %,d B)%n",
                first, second, queueBytes, modelBytes);
        assertThat(first).isGreaterThan(queueBytes);
        // The second holds the model buffers and one batch of keys, not the queue again.
        assertThat(second).isLessThan(modelBytes + queueBytes / 16);
        h.close();
    }

    @Test
    void samplesPastTheBudgetAreKeptForTheNextRunNotLost() throws Exception {
        var h = harness(settings(4 * BATCH));
        h.open();
        feed(h, pairs(6 * BATCH + 5, 13));
        OperatorSubtaskState savepoint = h.snapshot(1L, 1L);
        h.close();

        // A restart with a larger budget trains on the deferred samples first, without new input.
        var restored = harness(settings(6 * BATCH));
        restored.initializeState(savepoint);
        restored.open();
        var v = ((MocoTrainerOperator) restored.getOperator()).view(0);
        assertThat(v.progress().samplesSeen).isEqualTo(6 * BATCH);
        assertThat(v.progress().step).isEqualTo(6);
        assertThat(restored.extractOutputValues()).extracting(EncoderSnapshot::getVersion).containsExactly(3L); // step 6: both a regular and the final snapshot
        restored.close();
    }

    @Test
    void aBudgetThatIsNotWholeBatchesEndsAtTheLastWholeBatch() throws Exception {
        var h = harness(settings(4 * BATCH + 3));
        h.open();
        feed(h, pairs(6 * BATCH, 14));
        var v = ((MocoTrainerOperator) h.getOperator()).view(0);
        assertThat(v.progress().samplesSeen).isEqualTo(4 * BATCH);
        assertThat(h.extractOutputValues()).extracting(EncoderSnapshot::getSamplesSeen).last().isEqualTo(4L * BATCH);
        h.close();
    }

    @Test
    void snapshotsCarryProbeQualityAndCollapseSignalsWhenAProbeSetIsConfigured() throws Exception {
        Configuration conf = new Configuration();
        conf.set(KontrastOptions.BATCH_SIZE, BATCH);
        conf.set(KontrastOptions.QUEUE_SIZE, 32);
        conf.set(KontrastOptions.SNAPSHOT_EVERY, 2);
        conf.set(KontrastOptions.PROBE_SET, "synthetic");
        conf.set(KontrastOptions.PROBE_SIZE, 400);
        var h = harness(TrainerSettings.from(conf));
        h.open();
        feed(h, pairs(2 * BATCH, 15));
        EncoderSnapshot s = h.extractOutputValues().get(0);
        assertThat(s.getMetrics().get("probe_knn200")).isBetween(0.2, 1.0); // ten classes: chance is 0.1
        assertThat(s.getMetrics().get("probe_linear")).isBetween(0.2, 1.0);
        assertThat(s.getMetrics().get("probe_embedding_std")).isBetween(0.0, 1.0);
        assertThat(s.getMetrics().get("probe_alignment")).isBetween(0.0, 4.0);
        assertThat(s.getMetrics().get("probe_uniformity")).isBetween(-4.0, 0.0);
        h.close();
    }

    /**
     * A partial batch of pairs with built views, as an earlier version kept it in its state
     * ({@code pending}, view pairs), survives a checkpoint beside the samples that follow it and
     * is trained on unchanged: the restored run steps exactly as the original.
     */
    @Test
    void aPartialBatchOfBuiltPairsAsEarlierVersionsKeptItIsRestoredAndTrainedOn() throws Exception {
        TrainerSettings settings = settings(0);
        var original = harness(settings);
        original.open();
        feed(original, pairs(BATCH, 30));
        ((MocoTrainerOperator) original.getOperator()).addBuiltPairs(0, builtPairs(3, 31));
        feed(original, pairs(2, 32));
        OperatorSubtaskState checkpoint = original.snapshot(1L, 1L);

        var restored = harness(settings);
        restored.initializeState(checkpoint);
        restored.open();
        assertThat(((MocoTrainerOperator) restored.getOperator()).view(0).pending()).isEqualTo(5);

        continuesAlike(original, restored, pairs(BATCH - 5, 33), 2);
        original.close();
        restored.close();
    }

    /** Samples of the wrong shape fail the task with a message that names the sample. */
    @Test
    void aSampleOfTheWrongShapeIsRejectedWithItsId() throws Exception {
        var h = harness(settings(0));
        h.open();
        var wrong = new ImageSample("odd-one", 0L, 14, 14, new float[196], -1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.processElement(wrong, 0L))
                .hasMessageContaining("odd-one").hasMessageContaining("expected 1x28x28");
        h.close();
    }

    static TrainerSettings overlapped(long maxSamples, boolean lanes, String overlap) {
        Configuration conf = conf(maxSamples);
        conf.set(KontrastOptions.TRAINER_LANES, lanes);
        conf.set(KontrastOptions.TRAINER_OVERLAP, overlap);
        return TrainerSettings.from(conf);
    }

    private static long stepThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("kontrast-trainer-step"))
                .count();
    }

    /**
     * Steps on a thread of their own, overlapping the next batch's input, give the parameters,
     * statistics and snapshots of steps on the task thread, bit for bit (with and without lanes,
     * whose caller is then the step thread); closing the operator stops the step thread.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void overlappedStepsTrainAndPublishExactlyAsStepsOnTheTaskThread(boolean lanes) throws Exception {
        long before = stepThreads();
        var overlapped = harness(overlapped(0, lanes, "true"));
        var inline = harness(overlapped(0, lanes, "false"));
        overlapped.open();
        inline.open();
        assertThat(((MocoTrainerOperator) overlapped.getOperator()).overlapsSteps()).isTrue();
        assertThat(((MocoTrainerOperator) inline.getOperator()).overlapsSteps()).isFalse();
        feed(overlapped, pairs(7 * BATCH + 2, 21));
        feed(inline, pairs(7 * BATCH + 2, 21));
        assertThat(stepThreads()).isEqualTo(before + 1);
        var a = ((MocoTrainerOperator) overlapped.getOperator()).view(0);
        var b = ((MocoTrainerOperator) inline.getOperator()).view(0);
        assertThat(a.progress()).isEqualTo(b.progress());
        assertThat(a.progress().step).isEqualTo(7);
        assertThat(a.pending()).isEqualTo(2);
        assertThat(a.learner().params()).isEqualTo(b.learner().params());
        assertThat(a.learner().state().get("keyParams")).isEqualTo(b.learner().state().get("keyParams"));
        assertThat(((MocoLearner) a.learner()).queue()).isEqualTo(((MocoLearner) b.learner()).queue());
        List<EncoderSnapshot> fromOverlapped = overlapped.extractOutputValues();
        List<EncoderSnapshot> fromInline = inline.extractOutputValues();
        assertThat(fromOverlapped).extracting(EncoderSnapshot::getVersion).containsExactly(1L, 2L);
        assertThat(fromOverlapped).extracting(EncoderSnapshot::getChecksum)
                .containsExactlyElementsOf(fromInline.stream().map(EncoderSnapshot::getChecksum).toList());
        overlapped.close();
        inline.close();
        assertThat(stepThreads()).isEqualTo(before);
    }

    /**
     * The reservoir needs no features, so its steps overlap the next batch's input too: two steps
     * per batch read, half of each from the buffer, give the same parameters, buffer, counters and
     * snapshots as on the task thread, and the budget ends at the same snapshot.
     */
    @Test
    void overlappedStepsWithTheReservoirTrainExactlyAsOnTheTaskThread() throws Exception {
        List<KeyedOneInputStreamOperatorTestHarness<Integer, ImageSample, EncoderSnapshot>> runs = new ArrayList<>();
        for (String overlap : new String[] {"true", "false"}) {
            Configuration conf = conf(7 * BATCH);
            conf.set(KontrastOptions.TRAINER_OVERLAP, overlap);
            conf.set(KontrastOptions.REPLAY_POLICY, "reservoir");
            conf.set(KontrastOptions.REPLAY_SIZE, 20);
            conf.set(KontrastOptions.REPLAY_STEPS_PER_BATCH, 2);
            conf.set(KontrastOptions.REPLAY_FRESH_FRACTION, 0.5);
            var h = harness(TrainerSettings.from(conf));
            h.open();
            assertThat(((MocoTrainerOperator) h.getOperator()).overlapsSteps()).isEqualTo(overlap.equals("true"));
            feed(h, pairs(8 * BATCH + 2, 24));
            runs.add(h);
        }
        var a = ((MocoTrainerOperator) runs.get(0).getOperator()).view(0);
        var b = ((MocoTrainerOperator) runs.get(1).getOperator()).view(0);
        assertThat(a.progress()).isEqualTo(b.progress());
        assertThat(a.progress().samplesSeen).isEqualTo(7 * BATCH);
        assertThat(a.progress().step).isEqualTo(14);
        assertThat(a.progress().replayed).isPositive();
        assertThat(a.learner().params()).isEqualTo(b.learner().params());
        ReplayBuffer x = ((MocoTrainerOperator) runs.get(0).getOperator()).replayBuffer(0);
        ReplayBuffer y = ((MocoTrainerOperator) runs.get(1).getOperator()).replayBuffer(0);
        for (int slot = 0; slot < x.filled(); slot++) {
            assertThat(x.id(slot)).isEqualTo(y.id(slot));
            assertThat(x.sightings(slot)).isEqualTo(y.sightings(slot));
        }
        List<EncoderSnapshot> fromOverlapped = runs.get(0).extractOutputValues();
        assertThat(fromOverlapped).extracting(EncoderSnapshot::getChecksum)
                .containsExactlyElementsOf(runs.get(1).extractOutputValues().stream().map(EncoderSnapshot::getChecksum).toList());
        assertThat(fromOverlapped.get(fromOverlapped.size() - 1).getSamplesSeen()).isEqualTo(7 * BATCH);
        assertThat(fromOverlapped.get(fromOverlapped.size() - 1).getStep()).isEqualTo(14);
        for (var h : runs) h.close();
    }

    /**
     * A checkpoint taken while a step is in flight holds that step, finished: the restored state
     * equals what was saved and what steps on the task thread reach, the step's snapshot went out
     * before the barrier, and the restored run continues as the original.
     */
    @Test
    void aCheckpointWithAStepInFlightHoldsTheFinishedStepAndRestoresIt() throws Exception {
        var original = harness(overlapped(0, true, "true"));
        var inline = harness(overlapped(0, true, "false"));
        original.open();
        inline.open();
        feed(original, pairs(6 * BATCH + 3, 23)); // step 6 (a snapshot's) is handed over, not waited for
        feed(inline, pairs(6 * BATCH + 3, 23));
        assertThat(original.extractOutputValues()).extracting(EncoderSnapshot::getVersion).containsExactly(1L);
        OperatorSubtaskState checkpoint = original.snapshot(1L, 1L);
        assertThat(original.extractOutputValues()).extracting(EncoderSnapshot::getVersion).containsExactly(1L, 2L);
        var saved = ((MocoTrainerOperator) original.getOperator()).view(0);
        var reference = ((MocoTrainerOperator) inline.getOperator()).view(0);
        assertThat(saved.progress()).isEqualTo(reference.progress());
        assertThat(saved.learner().params()).isEqualTo(reference.learner().params());

        var restored = harness(overlapped(0, true, "true"));
        restored.initializeState(checkpoint);
        restored.open();
        var loaded = ((MocoTrainerOperator) restored.getOperator()).view(0);
        assertThat(loaded.progress()).isEqualTo(saved.progress());
        assertThat(loaded.progress().step).isEqualTo(6);
        assertThat(loaded.progress().version).isEqualTo(2);
        assertThat(loaded.pending()).isEqualTo(3);
        assertThat(loaded.learner().params()).isEqualTo(saved.learner().params());
        assertThat(loaded.learner().state().get("keyParams")).isEqualTo(saved.learner().state().get("keyParams"));
        assertThat(loaded.learner().velocity()).isEqualTo(saved.learner().velocity());
        assertThat(((MocoLearner) loaded.learner()).queue()).isEqualTo(((MocoLearner) saved.learner()).queue());
        assertThat(loaded.learner().queuePointer()).isEqualTo(saved.learner().queuePointer());

        continuesAlike(original, restored, pairs(3 * BATCH - 3, 24), 9);
        assertThat(restored.extractOutputValues()).extracting(EncoderSnapshot::getVersion).containsExactly(3L);
        original.close();
        restored.close();
        inline.close();
    }

    /** The sample budget counts the step in flight: training stops at the same sample as without overlap. */
    @Test
    void overlappedStepsStopAtMaxSamplesWithAFinalSnapshot() throws Exception {
        var h = harness(overlapped(4 * BATCH, false, "true"));
        h.open();
        feed(h, pairs(6 * BATCH, 5));
        var v = ((MocoTrainerOperator) h.getOperator()).view(0);
        assertThat(v.progress().samplesSeen).isEqualTo(4 * BATCH);
        assertThat(v.progress().step).isEqualTo(4);
        assertThat(v.pending()).isZero();
        assertThat(h.extractOutputValues()).extracting(EncoderSnapshot::getStep).containsExactly(3L, 4L);
        h.close();
    }

    @Test
    void anUnknownOverlapModeFailsNamingTheOption() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> overlapped(0, true, "sometimes"))
                .isInstanceOf(TrainerSettings.InvalidOptionException.class)
                .hasMessageContaining("kontrast.trainer.overlap").hasMessageContaining("sometimes");
    }
}
