package io.kontrast.operators.train;

import io.kontrast.math.MocoLearner;
import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.operators.TrainerSettings;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Properties;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trainer state written by earlier layouts (see {@link SavepointFixtures}) restores into the
 * current code (the old MLP's state into a layer list of the same layers): every buffer comes
 * back bit for bit, the restored encoder computes the representation the writing version
 * computed, and training goes on from there.
 */
class SavepointCompatibilityTest {
    @ParameterizedTest(name = "{0} written by layout {1}")
    @CsvSource({"mlp, v1", "cnn, v1"})
    void stateWrittenByAnEarlierLayoutRestoresAndTrainsOn(String encoder, String layout) throws Exception {
        String base = "/savepoints/" + encoder + "-" + layout;
        Properties expected = new Properties();
        try (InputStream in = getClass().getResourceAsStream(base + ".properties")) {
            expected.load(in);
        }
        OperatorSubtaskState state =
                OperatorSnapshotUtil.readStateHandle(getClass().getResource(base + ".snapshot").getPath());
        TrainerSettings settings = SavepointFixtures.settings(encoder);
        var h = MocoTrainerOperatorTest.harness(settings);
        h.initializeState(state);
        h.open();
        var view = ((MocoTrainerOperator) h.getOperator()).view(0);
        var learner = view.learner();

        assertThat(view.progress().step).isEqualTo(Long.parseLong(expected.getProperty("step")));
        assertThat(view.progress().version).isEqualTo(Long.parseLong(expected.getProperty("version")));
        assertThat(view.progress().samplesSeen).isEqualTo(Long.parseLong(expected.getProperty("samplesSeen")));
        assertThat(view.pending()).isEqualTo(Integer.parseInt(expected.getProperty("pending")));
        assertThat(learner.queuePointer()).isEqualTo(Integer.parseInt(expected.getProperty("queuePointer")));
        assertThat(SavepointFixtures.sha256(learner.params())).isEqualTo(expected.getProperty("params.sha256"));
        assertThat(SavepointFixtures.sha256(learner.state().get("keyParams"))).isEqualTo(expected.getProperty("keyParams.sha256"));
        assertThat(SavepointFixtures.sha256(learner.velocity())).isEqualTo(expected.getProperty("velocity.sha256"));
        assertThat(SavepointFixtures.sha256(learner.stats())).isEqualTo(expected.getProperty("stats.sha256"));
        assertThat(SavepointFixtures.sha256(((MocoLearner) learner).queue())).isEqualTo(expected.getProperty("queue.sha256"));

        // The same parameters mean the same encoder: the representation of fixed inputs agrees
        // with what the writing version computed.
        INDArray rep = learner.represent(SavepointFixtures.probeInputs(4), learner.network().newWorkspace(4));
        float[] now = rep.dup().reshape(-1).toFloatVector();
        float[] then = parse(expected.getProperty("representation"));
        assertThat(now).hasSameSizeAs(then);
        for (int i = 0; i < then.length; i++) {
            assertThat((double) now[i]).as("representation[%d]", i)
                    .isCloseTo(then[i], org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(then[i]))));
        }

        // Training goes on: the pending samples and a new batch make a step, and the next snapshot
        // has the next version.
        long step = view.progress().step;
        MocoTrainerOperatorTest.feed(h, MocoTrainerOperatorTest.pairs(2 * MocoTrainerOperatorTest.BATCH - 3, 2));
        var after = ((MocoTrainerOperator) h.getOperator()).view(0);
        assertThat(after.progress().step).isEqualTo(step + 2);
        assertThat(Float.isFinite(after.progress().lastLoss)).isTrue();
        assertThat(h.extractOutputValues()).extracting(s -> s.getVersion()).containsExactly(2L);
        h.close();
    }

    private static float[] parse(String csv) {
        String[] parts = csv.split(",");
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) v[i] = Float.parseFloat(parts[i]);
        return Arrays.copyOf(v, v.length);
    }
}
