package io.kontrast.operators.train;

import io.kontrast.math.MocoLearner;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.operators.KontrastOptions;
import io.kontrast.operators.TrainerSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes the trainer-state fixtures that {@code SavepointCompatibilityTest} restores: for each
 * encoder, the operator state of the tests' small trainer after 5 steps and 3 pending samples
 * (Flink's savepoint format, full RocksDB snapshot), and beside it a properties file with what
 * the state holds (counters, SHA-256 of each buffer) and the representation the encoder that
 * wrote it computes for fixed inputs.
 *
 * <p>The encoders are small versions of {@code mlp} and {@code cnn} with the same layer kinds in
 * the same order ({@code savepoints/<encoder>-small.json}), so that a fixture weighs a few hundred
 * kilobytes rather than megabytes. Layout v1 predates layer lists: its fixtures were written by
 * the v1 code with its hard-wired widths set to those of the small specs (MLP 784 → 32 | → 32 →
 * 16; CNN 4 and 8 channels, a 16-wide representation, 8 out).
 *
 * <p>Run it only when the state layout changes on purpose, with the version that writes the new
 * layout; the old fixtures stay, so that every released layout keeps restoring:
 *
 * <pre>java -cp "$(cat cp.txt):operators/target/classes:operators/target/test-classes" \
 *   io.kontrast.operators.train.SavepointFixtures operators/src/test/resources/savepoints v1</pre>
 */
public final class SavepointFixtures {
    private SavepointFixtures() {}

    /** Fixed inputs whose representation the fixture records: {@code n} rows of 784 values. */
    static INDArray probeInputs(int n) {
        SplittableRandom rnd = new SplittableRandom(99);
        float[] v = new float[n * 784];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextDouble() * 4 - 2);
        return Nd4j.createFromArray(v).reshape(n, 784);
    }

    /** The tests' small trainer with the small version of {@code encoder} ({@code mlp} or {@code cnn}). */
    static TrainerSettings settings(String encoder) {
        var conf = MocoTrainerOperatorTest.conf(0);
        conf.set(KontrastOptions.ENCODER, "custom");
        conf.set(KontrastOptions.ENCODER_SPEC, SavepointFixtures.class.getResource("/savepoints/" + encoder + "-small.json").getPath());
        return TrainerSettings.from(conf);
    }

    static String sha256(INDArray a) throws Exception {
        float[] v = a.dup().reshape(-1).toFloatVector();
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }

    public static void main(String[] args) throws Exception {
        Nd4jRuntime.init();
        Path dir = Path.of(args[0]);
        String version = args[1];
        for (String encoder : new String[] {"mlp", "cnn"}) {
            write(dir, version, encoder);
        }
    }

    private static void write(Path dir, String version, String encoder) throws Exception {
        TrainerSettings settings = settings(encoder);
        var h = MocoTrainerOperatorTest.harness(settings);
        h.setStateBackend(new org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend(false));
        h.open();
        MocoTrainerOperatorTest.feed(h, MocoTrainerOperatorTest.pairs(5 * MocoTrainerOperatorTest.BATCH + 3, 1));
        OperatorSubtaskState state = h.snapshot(1L, 1L);
        String base = encoder + "-" + version;
        OperatorSnapshotUtil.writeStateHandle(state, dir.resolve(base + ".snapshot").toString());
        var view = ((MocoTrainerOperator) h.getOperator()).view(0);
        var learner = view.learner();
        Properties p = new Properties();
        p.setProperty("encoder", encoder);
        p.setProperty("step", Long.toString(view.progress().step));
        p.setProperty("version", Long.toString(view.progress().version));
        p.setProperty("samplesSeen", Long.toString(view.progress().samplesSeen));
        p.setProperty("pending", Integer.toString(view.pending()));
        p.setProperty("queuePointer", Integer.toString(learner.queuePointer()));
        p.setProperty("params.sha256", sha256(learner.params()));
        p.setProperty("keyParams.sha256", sha256(learner.state().get("keyParams")));
        p.setProperty("velocity.sha256", sha256(learner.velocity()));
        p.setProperty("stats.sha256", sha256(learner.stats()));
        p.setProperty("queue.sha256", sha256(((MocoLearner) learner).queue()));
        var net = learner.network();
        INDArray rep = learner.represent(probeInputs(4), net.newWorkspace(4)).dup();
        float[] r = rep.reshape(-1).toFloatVector();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < r.length; i++) sb.append(i == 0 ? "" : ",").append(r[i]);
        p.setProperty("representation.shape", rep.size(0) + "," + rep.size(1));
        p.setProperty("representation", sb.toString());
        try (OutputStream out = Files.newOutputStream(dir.resolve(base + ".properties"))) {
            p.store(out, "Trainer state written by layout " + version + " (" + encoder + "); see SavepointFixtures");
        }
        h.close();
    }
}
