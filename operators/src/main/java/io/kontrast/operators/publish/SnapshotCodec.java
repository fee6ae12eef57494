package io.kontrast.operators.publish;

import io.kontrast.client.Checksums;
import io.kontrast.math.Network;
import io.kontrast.math.nn.Export;
import io.kontrast.math.nn.LayerNet;
import io.kontrast.schemas.DType;
import io.kontrast.schemas.EncoderSnapshot;
import io.kontrast.schemas.Layer;
import io.kontrast.schemas.NamedTensor;
import io.kontrast.schemas.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Builds {@link EncoderSnapshot}s from a network's flat parameters, and computes and verifies
 * their checksum.
 *
 * <p>MLP layers are named {@code backbone.<i>} and {@code head.<i>}; each linear layer has
 * weights {@code <name>.weight} ({@code [in, out]}, row-major, so {@code y = x W + b}) and {@code
 * <name>.bias} ({@code [out]}), all FLOAT32 little-endian.
 *
 * <p>CNN snapshots use the NCHW convention of PyTorch and ONNX: {@code conv2d} weights are {@code
 * [out, in, kH, kW]} and {@code flatten} orders values (c, h, w). Batch norm is folded into the
 * convolution or linear layer before it where there is one (with the running statistics, as
 * inference uses them), otherwise published as a {@code batch_norm} layer of its own; per-channel
 * input statistics lead the backbone as the {@code batch_norm} layer {@value #INPUT_NORM}.
 */
public final class SnapshotCodec {
    private SnapshotCodec() {}

    /** Identity of a snapshot apart from its weights. */
    public record Header(
            String modelId,
            long version,
            long step,
            long samplesSeen,
            Instant createdAt,
            int[] inputShape,
            float inputMean,
            float inputStd,
            io.kontrast.operators.views.ChannelStats channelStats) {
        /** A header whose input is normalised with one mean and std for every channel. */
        public Header(String modelId, long version, long step, long samplesSeen, Instant createdAt, int[] inputShape, float inputMean,
                float inputStd) {
            this(modelId, version, step, samplesSeen, createdAt, inputShape, inputMean, inputStd, null);
        }
    }

    /** The name of the {@code batch_norm} layer that carries per-channel input normalisation. */
    public static final String INPUT_NORM = "input_norm";

    /** A snapshot of {@code net} with parameters {@code params} and running statistics {@code stats}. */
    public static EncoderSnapshot fromNetwork(Header h, Network net, INDArray params, INDArray stats, Map<String, Double> metrics) {
        if (net instanceof LayerNet layers) {
            return fromLayers(h, layers, params, stats, metrics);
        }
        throw new IllegalArgumentException("no snapshot format for " + net.architecture());
    }

    /**
     * One snapshot per tower of a paired encoder, each an ordinary encoder of its part: model id
     * {@code <model id>.<part name>}, the part's input shape, the header's version. Consumers take
     * the tower of the part they embed; both come from the same step.
     */
    public static List<EncoderSnapshot> fromTowers(Header h, io.kontrast.math.nn.Towers towers, List<int[]> inputShapes,
            INDArray params, INDArray stats, Map<String, Double> metrics) {
        List<EncoderSnapshot> out = new ArrayList<>();
        for (int k = 0; k < towers.size(); k++) {
            Header part = new Header(h.modelId() + "." + towers.names().get(k), h.version(), h.step(), h.samplesSeen(),
                    h.createdAt(), inputShapes.get(k), h.inputMean(), h.inputStd(), h.channelStats());
            out.add(fromLayers(part, towers.tower(k), towers.towerParams(params, k), towers.towerStats(stats, k), metrics));
        }
        return out;
    }

    /** A snapshot of an encoder built from a layer list, as {@link Export} publishes it. */
    public static EncoderSnapshot fromLayers(Header h, LayerNet net, INDArray params, INDArray stats, Map<String, Double> metrics) {
        List<Layer> layers = new ArrayList<>();
        List<NamedTensor> weights = new ArrayList<>();
        for (Export.Entry e : Export.of(net, params, stats)) {
            layers.add(Layer.newBuilder().setName(e.name()).setKind(e.kind()).setPart(e.part())
                    .setAttributes(new java.util.LinkedHashMap<>(e.attributes())).build());
            for (Export.Tensor t : e.weights()) {
                weights.add(tensor(t.name(), t.data(), 0, t.shape()));
            }
        }
        return build(h, net.architecture(), net.representationDim(), layers, weights, metrics);
    }

    private static Layer layer(String name, String kind, String part) {
        return Layer.newBuilder().setName(name).setKind(kind).setPart(part).setAttributes(new java.util.LinkedHashMap<>()).build();
    }

    private static EncoderSnapshot build(
            Header h, String architecture, int embeddingDim, List<Layer> layers, List<NamedTensor> weights, Map<String, Double> metrics) {
        List<Integer> inputShape = new ArrayList<>();
        for (int d : h.inputShape()) inputShape.add(d);
        float inputMean = h.inputMean();
        float inputStd = h.inputStd();
        if (h.channelStats() != null) {
            // Per-channel normalisation is a leading batch_norm layer (x · 1/std + (−mean/std) per
            // channel), which every consumer already applies; the scalar normalisation is then 0 and 1.
            var norm = h.channelStats();
            int c = norm.channels();
            float[] scale = new float[c];
            float[] shift = new float[c];
            for (int i = 0; i < c; i++) {
                scale[i] = norm.inv(i);
                shift[i] = -norm.mean(i) * norm.inv(i);
            }
            for (Layer l : layers) {
                if (l.getName().equals(INPUT_NORM)) throw new IllegalArgumentException("a layer is named " + INPUT_NORM + " already");
            }
            List<Layer> withNorm = new ArrayList<>();
            withNorm.add(layer(INPUT_NORM, "batch_norm", "backbone"));
            withNorm.addAll(layers);
            List<NamedTensor> normWeights = new ArrayList<>();
            normWeights.add(tensor(INPUT_NORM + ".weight", scale, 0, c));
            normWeights.add(tensor(INPUT_NORM + ".bias", shift, 0, c));
            normWeights.addAll(weights);
            layers = withNorm;
            weights = normWeights;
            inputMean = 0f;
            inputStd = 1f;
        }
        return EncoderSnapshot.newBuilder()
                .setModelId(h.modelId())
                .setVersion(h.version())
                .setStep(h.step())
                .setSamplesSeen(h.samplesSeen())
                .setCreatedAt(h.createdAt())
                .setArchitecture(architecture)
                .setObjective("moco-v2")
                .setInputShape(inputShape)
                .setInputMean(inputMean)
                .setInputStd(inputStd)
                .setEmbeddingDim(embeddingDim)
                .setLayers(layers)
                .setWeights(weights)
                .setMetrics(metrics)
                .setChecksum(checksum(weights))
                .build();
    }

    private static NamedTensor tensor(String name, float[] src, int offset, int... shape) {
        int n = 1;
        List<Integer> dims = new ArrayList<>();
        for (int d : shape) {
            n *= d;
            dims.add(d);
        }
        ByteBuffer data = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(src, offset, n);
        return NamedTensor.newBuilder()
                .setName(name)
                .setTensor(Tensor.newBuilder().setShape(dims).setDtype(DType.FLOAT32).setData(data).build())
                .build();
    }

    /** See {@link Checksums}. */
    public static String checksum(List<NamedTensor> weights) {
        return Checksums.of(weights);
    }

    public static boolean verify(EncoderSnapshot s) {
        return Checksums.verify(s);
    }
}
