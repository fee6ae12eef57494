package io.kontrast.operators.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.client.Encoder;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.math.MocoHyperParams;
import io.kontrast.math.MocoLearner;
import io.kontrast.math.Cnn;
import io.kontrast.math.Mlp;
import io.kontrast.math.Network;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import java.util.HashMap;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The trainer (ND4J), the Java client (plain Java) and the Python consumer (numpy, from the
 * documented format alone) embed the same images from the same snapshot and agree to 1e-4, for
 * both encoders. For the CNN this checks the NCHW weight layout, the (c, h, w) flatten order and
 * the batch norm folded into the published weights against the trainer's own inference path.
 */
class SnapshotConsumersAgreeTest {
    static final int N = 32;
    static final float MEAN = 0.286f;
    static final float STD = 0.353f;

    static float[][] images;
    static final Map<String, Fixture> fixtures = new HashMap<>();

    record Fixture(MocoLearner learner, EncoderSnapshot snapshot) {}

    @BeforeAll
    static void images() {
        Nd4jRuntime.init();
        var set = SyntheticShapes.generate(N, 9, "synthetic/test");
        images = new float[N][];
        for (int i = 0; i < N; i++) images[i] = set.image(i);
    }

    /** A few training steps (so batch norm's running statistics and affine terms move), then a snapshot. */
    static synchronized Fixture fixture(String encoder) {
        return fixtures.computeIfAbsent(encoder, e -> {
            Network net = e.equals("cnn") ? Cnn.standard(true) : new Mlp(new int[] {784, 512, 512, 128}, 1);
            MocoLearner learner = new MocoLearner(net, MocoHyperParams.mocoV2(16, 64), 5);
            SplittableRandom rnd = new SplittableRandom(1);
            for (int s = 0; s < 5; s++) {
                float[] a = new float[16 * 784];
                for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian() * 0.5f + 0.3f;
                INDArray x = Nd4j.createFromArray(a).reshape(16, 784);
                learner.step(x, x.add(0.1));
            }
            EncoderSnapshot snapshot = SnapshotCodec.fromNetwork(
                    new SnapshotCodec.Header("agree", 4, 5, 80, Instant.now(), new int[] {1, 28, 28}, MEAN, STD),
                    net, learner.params(), learner.stats(), Map.of("loss", 1.0));
            return new Fixture(learner, snapshot);
        });
    }

    static float[][] trainerEmbeddings(MocoLearner learner) {
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

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn"})
    void javaClientMatchesTheTrainer(String encoder) {
        Fixture f = fixture(encoder);
        int dim = f.learner().network().representationDim();
        Encoder client = Encoder.fromSnapshot(f.snapshot());
        assertThat(f.snapshot().getArchitecture()).isEqualTo(encoder);
        assertThat(client.embeddingDim()).isEqualTo(dim);
        assertThat(client.version()).isEqualTo(4);
        float[][] expected = trainerEmbeddings(f.learner());
        assertThat(expected[0]).isNotEqualTo(new float[dim]);
        assertClose(client.embedBatch(images), expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn"})
    void pythonConsumerMatchesTheJavaClient(String encoder, @TempDir Path tmp) throws Exception {
        Fixture f = fixture(encoder);
        int dim = f.learner().network().representationDim();
        ByteBuffer wire = EncoderSnapshot.getEncoder().encode(f.snapshot());
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
        assertThat(output).contains("\"version\": 4").contains("\"embedding_dim\": " + dim);

        ByteBuffer out = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("out.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        float[][] fromPython = new float[N][dim];
        for (float[] row : fromPython) for (int j = 0; j < dim; j++) row[j] = out.getFloat();
        assertClose(fromPython, Encoder.fromSnapshot(f.snapshot()).embedBatch(images));
    }
}
