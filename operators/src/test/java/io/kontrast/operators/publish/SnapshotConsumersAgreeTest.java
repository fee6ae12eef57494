package io.kontrast.operators.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.client.Encoder;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.math.MocoHyperParams;
import io.kontrast.math.MocoLearner;
import io.kontrast.math.Mlp;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.schemas.EncoderSnapshot;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The trainer (ND4J), the Java client (plain Java) and the Python consumer (numpy, from the
 * documented format alone) embed the same images from the same snapshot and agree to 1e-4.
 */
class SnapshotConsumersAgreeTest {
    static final int N = 32;
    static final float MEAN = 0.286f;
    static final float STD = 0.353f;

    static MocoLearner learner;
    static EncoderSnapshot snapshot;
    static float[][] images;

    @BeforeAll
    static void trainAndSnapshot() {
        Nd4jRuntime.init();
        Mlp mlp = new Mlp(new int[] {784, 512, 512, 128}, 1);
        learner = new MocoLearner(mlp, MocoHyperParams.mocoV2(16, 64), 5);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int s = 0; s < 5; s++) {
            float[] a = new float[16 * 784];
            for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
            INDArray x = Nd4j.createFromArray(a).reshape(16, 784);
            learner.step(x, x.add(0.1));
        }
        snapshot = SnapshotCodec.fromMlp(
                new SnapshotCodec.Header("agree", 4, 5, 80, Instant.now(), new int[] {1, 28, 28}, MEAN, STD),
                mlp, learner.params().toFloatVector(), Map.of("loss", 1.0));
        var set = SyntheticShapes.generate(N, 9, "synthetic/test");
        images = new float[N][];
        for (int i = 0; i < N; i++) images[i] = set.image(i);
    }

    static float[][] trainerEmbeddings() {
        float[] flat = new float[N * 784];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < 784; j++) flat[i * 784 + j] = (images[i][j] - MEAN) / STD;
        }
        INDArray rep = learner.represent(Nd4j.createFromArray(flat).reshape(N, 784), learner.network().newWorkspace(N));
        float[][] out = new float[N][];
        for (int i = 0; i < N; i++) out[i] = rep.getRow(i).toFloatVector();
        return out;
    }

    static void assertClose(float[][] actual, float[][] expected) {
        assertThat(actual).hasNumberOfRows(expected.length);
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).hasSize(expected[i].length);
            for (int j = 0; j < expected[i].length; j++) {
                maxDiff = Math.max(maxDiff, Math.abs(actual[i][j] - expected[i][j]));
            }
        }
        assertThat(maxDiff).isLessThan(1e-4);
    }

    @Test
    void javaClientMatchesTheTrainer() {
        Encoder encoder = Encoder.fromSnapshot(snapshot);
        assertThat(encoder.embeddingDim()).isEqualTo(512);
        assertThat(encoder.version()).isEqualTo(4);
        float[][] expected = trainerEmbeddings();
        assertThat(expected[0]).isNotEqualTo(new float[512]);
        assertClose(encoder.embedBatch(images), expected);
    }

    @Test
    void pythonConsumerMatchesTheJavaClient(@TempDir Path tmp) throws Exception {
        ByteBuffer wire = EncoderSnapshot.getEncoder().encode(snapshot);
        byte[] bytes = new byte[wire.remaining()];
        wire.get(bytes);
        Files.write(tmp.resolve("snapshot.bin"), bytes);
        ByteBuffer img = ByteBuffer.allocate(N * 784 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] image : images) for (float v : image) img.putFloat(v);
        Files.write(tmp.resolve("images.f32"), img.array());

        Path root = Path.of(System.getProperty("kontrast.root"));
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process p = new ProcessBuilder(python, root.resolve("clients/python/kontrast_snapshot.py").toString(),
                "--schemas", root.resolve("schemas/src/main/avro/io/kontrast/schemas").toString(),
                "--snapshot", tmp.resolve("snapshot.bin").toString(),
                "--images", tmp.resolve("images.f32").toString(),
                "--out", tmp.resolve("out.f32").toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("\"version\": 4").contains("\"embedding_dim\": 512");

        ByteBuffer out = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("out.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        float[][] fromPython = new float[N][512];
        for (float[] row : fromPython) for (int j = 0; j < 512; j++) row[j] = out.getFloat();
        assertClose(fromPython, Encoder.fromSnapshot(snapshot).embedBatch(images));
    }
}
