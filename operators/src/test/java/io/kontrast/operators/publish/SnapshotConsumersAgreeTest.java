package io.kontrast.operators.publish;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.kontrast.client.Encoder;
import io.kontrast.client.OnnxExport;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.math.HyperParams;
import io.kontrast.math.MocoLearner;
import io.kontrast.math.Network;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.math.nn.EncoderSpec;
import io.kontrast.math.nn.LayerNet;
import io.kontrast.math.nn.LayerSpec;
import io.kontrast.math.nn.Presets;
import io.kontrast.math.nn.Shape;
import io.kontrast.operators.views.ChannelStats;
import java.util.List;
import io.kontrast.schemas.EncoderSnapshot;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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
 * every preset and every layer kind. This checks the NCHW weight layout, the (c, h, w) flatten
 * order, batch norm folded into the published weights or published on its own, and residual
 * blocks, against the trainer's own inference path.
 */
class SnapshotConsumersAgreeTest {
    static final int N = 32;
    static final float MEAN = 0.286f;
    static final float STD = 0.353f;
    /** The token encoders' vocabulary. */
    static final int VOCAB = 9;

    static boolean tokens(String encoder) {
        return encoder.startsWith("tokens-");
    }

    static final int GRAPH_NODES = 6;
    static final int GRAPH_FEATURES = 4;

    /** A packed graph of up to 6 nodes of 4 features. */
    static float[] randomGraph(SplittableRandom rnd) {
        return io.kontrast.math.nn.RandomGraphs.packed(rnd, 1, GRAPH_NODES, GRAPH_FEATURES).toFloatVector();
    }

    static final Map<String, Fixture> fixtures = new HashMap<>();

    /**
     * A trained learner, its snapshot, test images in the snapshot's [C, H, W] order, and the
     * input normalisation the trainer applies to them.
     */
    record Fixture(MocoLearner learner, EncoderSnapshot snapshot, Shape shape, float[][] images, ChannelStats norm) {}

    /**
     * Per-channel input statistics of the fixtures named {@code *-channel-stats}: one mean and std
     * per colour channel or feature, which snapshots publish as a leading batch_norm layer.
     */
    static ChannelStats channelStats(String encoder, Shape shape) {
        if (!encoder.endsWith("-channel-stats")) return null;
        int c = shape.channels();
        float[] mean = new float[c];
        float[] std = new float[c];
        for (int i = 0; i < c; i++) {
            mean[i] = 0.15f + 0.6f * i / c;
            std[i] = 0.1f + 0.05f * (i % 4);
        }
        return new ChannelStats(mean, std);
    }

    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    /**
     * Every preset, and a layer list with every other kind: batch norm first and on a flattened
     * vector (its features reordered to (c, h, w)), average pooling, overlapping max pooling, an
     * identity residual block and l2_normalize.
     */
    static Network network(String encoder) {
        return switch (encoder) {
            case "mlp" -> new LayerNet("mlp", Presets.mlp(new Shape(1, 28, 28), false), 1);
            // The MLP on colour images and on sequences: the trainer's (h, w, c) and (t, f) rows
            // against the consumers' (c, h, w) and channels-first (f, t).
            case "mlp-rgb" -> new LayerNet("mlp", Presets.perceptron(new Shape(3, 6, 5), 1, 32, 32, 16), 1);
            case "mlp-sequence" -> new LayerNet("mlp", Presets.perceptron(Shape.sequence(12, 5), 1, 32, 32, 16), 1);
            case "cnn1d" -> new LayerNet("cnn1d", Presets.cnn1d(Shape.sequence(16, 5), 6, 8, 12, 8), 2);
            case "cnn1d-steps" -> new LayerNet("cnn1d-steps", Presets.cnn1dSteps(Shape.sequence(16, 5)), 2);
            // A GRU after a convolution over time, batch norm on its last state.
            case "gru" -> new LayerNet("custom", new EncoderSpec(Shape.sequence(10, 4), List.of(LayerSpec.conv1d(6, 3, 1, 1),
                    LayerSpec.relu(), LayerSpec.gru(8), LayerSpec.batchNorm()), List.of(LayerSpec.linear(8))), 2);
            // Token ids through an embedding, then the cnn1d and a GRU.
            case "gru-steps" -> new LayerNet("custom", new EncoderSpec(Shape.sequence(10, 4), List.of(LayerSpec.gru(8, true),
                    LayerSpec.batchNorm(), LayerSpec.gru(6, true), LayerSpec.flatten()), List.of(LayerSpec.linear(8))), 2);
            case "tokens-cnn1d" -> new LayerNet("cnn1d", Presets.tokens(12, VOCAB, sh -> Presets.cnn1d(sh, 6, 8, 12, 8)), 2);
            case "tokens-gru" -> new LayerNet("gru", Presets.tokens(10, VOCAB, sh -> Presets.gru(sh, 8, 8)), 2);
            // Graph convolutions on packed graphs of up to 6 nodes of 4 features.
            case "gcn" -> new LayerNet("gcn", Presets.gcn(Shape.sequence(GRAPH_NODES, GRAPH_FEATURES + GRAPH_NODES + 1)), 2);
            case "cnn" -> new LayerNet("cnn", Presets.cnn(new Shape(1, 28, 28)), 2);
            case "resnet" -> new LayerNet("resnet", Presets.resnet(new Shape(3, 32, 32), 8, 32), 2);
            case "every-kind" -> new LayerNet("custom", new EncoderSpec(new Shape(3, 12, 12), List.of(
                    LayerSpec.batchNorm(), LayerSpec.conv2d(6, 3, 1, 1), LayerSpec.avgPool2d(2, 2),
                    LayerSpec.residual(List.of(LayerSpec.conv2d(6, 3, 1, 1), LayerSpec.batchNorm(), LayerSpec.relu(),
                            LayerSpec.conv2d(6, 3, 1, 1)), List.of()),
                    LayerSpec.relu(), LayerSpec.maxPool2d(3, 2), LayerSpec.flatten(), LayerSpec.batchNorm(),
                    LayerSpec.linear(10), LayerSpec.l2Normalize()), List.of(LayerSpec.linear(8))), 2);
            // Per-channel normalisation: a colour image's three channels, a sequence's and a vector's features.
            case "rgb-channel-stats" -> new LayerNet("custom", new EncoderSpec(new Shape(3, 8, 8), List.of(LayerSpec.conv2d(6, 3, 1, 1),
                    LayerSpec.batchNorm(), LayerSpec.relu(), LayerSpec.maxPool2d(2, 2), LayerSpec.flatten(), LayerSpec.linear(10)),
                    List.of(LayerSpec.linear(8))), 2);
            case "sequence-channel-stats" -> new LayerNet("cnn1d", Presets.cnn1d(Shape.sequence(16, 5), 6, 8, 12, 8), 2);
            case "vector-channel-stats" -> new LayerNet("mlp", Presets.perceptron(Shape.vector(20), 1, 32, 32, 16), 1);
            default -> throw new IllegalArgumentException(encoder);
        };
    }

    /** A few training steps (so batch norm's running statistics and affine terms move), then a snapshot. */
    static synchronized Fixture fixture(String encoder) {
        return fixtures.computeIfAbsent(encoder, e -> {
            Network net = network(e);
            Shape shape = net instanceof LayerNet l ? l.inputShape() : new Shape(1, 28, 28);
            int size = shape.size();
            MocoLearner learner = new MocoLearner(net, HyperParams.mocoV2(16, 64), 5);
            SplittableRandom rnd = new SplittableRandom(1);
            boolean tokens = tokens(e);
            boolean graphs = e.equals("gcn");
            for (int s = 0; s < 5; s++) {
                float[] a = new float[16 * size];
                float[] b = new float[16 * size];
                for (int i = 0; i < a.length; i++) {
                    a[i] = tokens ? rnd.nextInt(VOCAB) : (float) rnd.nextGaussian() * 0.5f + 0.3f;
                    b[i] = tokens ? rnd.nextInt(VOCAB) : a[i] + 0.1f;
                }
                if (graphs) {
                    for (int r = 0; r < 16; r++) {
                        System.arraycopy(randomGraph(rnd), 0, a, r * size, size);
                        System.arraycopy(randomGraph(rnd), 0, b, r * size, size);
                    }
                }
                learner.step(Nd4j.createFromArray(a).reshape(16, size), Nd4j.createFromArray(b).reshape(16, size));
            }
            EncoderSnapshot snapshot = SnapshotCodec.fromNetwork(
                    new SnapshotCodec.Header("agree", 4, 5, 80, Instant.now(),
                            shape.isSequence() ? new int[] {shape.steps(), shape.channels()}
                                    : shape.isVector() ? new int[] {shape.channels()}
                                    : new int[] {shape.channels(), shape.height(), shape.width()},
                            tokens || graphs ? 0f : MEAN, tokens || graphs ? 1f : STD, channelStats(e, shape)),
                    net, learner.params(), learner.stats(), Map.of("loss", 1.0));
            float[][] images = new float[N][];
            if (graphs) {
                for (int i = 0; i < N; i++) images[i] = randomGraph(rnd);
            } else if (tokens) {
                for (int i = 0; i < N; i++) {
                    images[i] = new float[size];
                    for (int j = 0; j < size; j++) images[i][j] = rnd.nextInt(VOCAB);
                }
            } else if (size == 784) {
                var set = SyntheticShapes.generate(N, 9, "synthetic/test");
                for (int i = 0; i < N; i++) images[i] = set.image(i);
            } else {
                for (int i = 0; i < N; i++) {
                    images[i] = new float[size];
                    for (int j = 0; j < size; j++) images[i][j] = (float) rnd.nextDouble();
                }
            }
            ChannelStats norm = channelStats(e, shape) != null ? channelStats(e, shape)
                    : ChannelStats.uniform(shape.channels(), tokens || graphs ? 0f : MEAN, tokens || graphs ? 1f : STD);
            return new Fixture(learner, snapshot, shape, images, norm);
        });
    }

    /** The trainer's own inference path, on its NHWC layout of the same images. */
    static float[][] trainerEmbeddings(Fixture f) {
        Shape sh = f.shape();
        int size = sh.size();
        float[] flat = new float[N * size];
        for (int i = 0; i < N; i++) {
            for (int c = 0; c < sh.channels(); c++) {
                for (int p = 0; p < sh.area(); p++) {
                    // Images come [C, H, W] to consumers; sequences [T, F], as the trainer holds them.
                    float v = sh.isSequence() ? f.images()[i][p * sh.channels() + c] : f.images()[i][c * sh.area() + p];
                    flat[i * size + p * sh.channels() + c] = (v - f.norm().mean(c)) / f.norm().std(c);
                }
            }
        }
        MocoLearner learner = f.learner();
        INDArray rep = learner.represent(Nd4j.createFromArray(flat).reshape(N, size), learner.network().newWorkspace(N));
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
    @ValueSource(strings = {"mlp", "mlp-rgb", "mlp-sequence", "cnn", "cnn1d", "cnn1d-steps", "gru", "gru-steps", "tokens-cnn1d", "tokens-gru", "gcn",
        "resnet", "every-kind", "rgb-channel-stats", "sequence-channel-stats", "vector-channel-stats"})
    void javaClientMatchesTheTrainer(String encoder) {
        Fixture f = fixture(encoder);
        int dim = f.learner().network().representationDim();
        Encoder client = Encoder.fromSnapshot(f.snapshot());
        assertThat(client.embeddingDim()).isEqualTo(dim);
        assertThat(client.version()).isEqualTo(4);
        float[][] expected = trainerEmbeddings(f);
        assertThat(expected[0]).isNotEqualTo(new float[dim]);
        assertClose(client.embedBatch(f.images()), expected);
    }

    /** Debian's Python, where setup.sh installs numpy, avro and onnx. */
    static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "mlp-rgb", "mlp-sequence", "cnn", "cnn1d", "cnn1d-steps", "gru", "gru-steps", "tokens-cnn1d", "tokens-gru", "gcn",
        "resnet", "every-kind", "rgb-channel-stats", "sequence-channel-stats", "vector-channel-stats"})
    void pythonConsumerMatchesTheJavaClient(String encoder, @TempDir Path tmp) throws Exception {
        Fixture f = fixture(encoder);
        int dim = f.learner().network().representationDim();
        ByteBuffer wire = EncoderSnapshot.getEncoder().encode(f.snapshot());
        byte[] bytes = new byte[wire.remaining()];
        wire.get(bytes);
        Files.write(tmp.resolve("snapshot.bin"), bytes);
        ByteBuffer img = ByteBuffer.allocate(N * f.shape().size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] image : f.images()) for (float v : image) img.putFloat(v);
        Files.write(tmp.resolve("images.f32"), img.array());

        Path root = Path.of(System.getProperty("kontrast.root"));
        Process p = new ProcessBuilder(python(), root.resolve("clients/python/kontrast_snapshot.py").toString(),
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
        assertClose(fromPython, Encoder.fromSnapshot(f.snapshot()).embedBatch(f.images()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "mlp-rgb", "mlp-sequence", "cnn", "cnn1d", "cnn1d-steps", "gru", "gru-steps", "tokens-cnn1d", "tokens-gru", "gcn",
        "resnet", "every-kind", "rgb-channel-stats", "sequence-channel-stats", "vector-channel-stats"})
    void onnxRuntimeMatchesTheTrainer(String encoder, @TempDir Path tmp) throws Exception {
        Fixture f = fixture(encoder);
        int dim = f.learner().network().representationDim();
        byte[] model = OnnxExport.toOnnx(f.snapshot());

        // The reference checker (the onnx package, with strict shape inference) accepts the model.
        Files.write(tmp.resolve("model.onnx"), model);
        Process p = new ProcessBuilder(python(), "-c", "import onnx, sys; m = onnx.load(sys.argv[1]); "
                + "onnx.checker.check_model(m, full_check=True); "
                + "print([d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim])",
                tmp.resolve("model.onnx").toString()).redirectErrorStream(true).start();
        String checked = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(checked).isZero();
        assertThat(checked.trim()).isEqualTo("[0, " + dim + "]");

        Shape sh = f.shape();
        FloatBuffer pixels = FloatBuffer.allocate(N * sh.size());
        for (float[] image : f.images()) pixels.put(image);
        pixels.flip();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions());
                OnnxTensor input = OnnxTensor.createTensor(env, pixels, sh.isSequence()
                        ? new long[] {N, sh.steps(), sh.channels()} : sh.isVector() ? new long[] {N, sh.channels()}
                        : new long[] {N, sh.channels(), sh.height(), sh.width()});
                OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
            assertThat(session.getInputNames()).containsExactly(OnnxExport.INPUT);
            assertThat(session.getOutputNames()).containsExactly(OnnxExport.OUTPUT);
            assertThat(session.getMetadata().getCustomMetadata())
                    .containsEntry("kontrast.model_id", "agree")
                    .containsEntry("kontrast.version", "4")
                    .containsEntry("kontrast.embedding_dim", Integer.toString(dim));
            float[][] fromOnnx = (float[][]) result.get(OnnxExport.OUTPUT).orElseThrow().getValue();
            assertThat(fromOnnx[0]).hasSize(dim);
            assertClose(fromOnnx, trainerEmbeddings(f));
        }
    }
}
