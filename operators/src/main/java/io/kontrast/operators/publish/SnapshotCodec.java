package io.kontrast.operators.publish;

import io.kontrast.client.Checksums;
import io.kontrast.math.Mlp;
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

/**
 * Builds {@link EncoderSnapshot}s from an MLP's flat parameters, and computes and verifies their
 * checksum.
 *
 * <p>Layers are named {@code backbone.<i>} and {@code head.<i>}; each linear layer has weights
 * {@code <name>.weight} ({@code [in, out]}, row-major, so {@code y = x W + b}) and {@code
 * <name>.bias} ({@code [out]}), all FLOAT32 little-endian.
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
            float inputStd) {}

    public static EncoderSnapshot fromMlp(Header h, Mlp mlp, float[] params, Map<String, Double> metrics) {
        List<Layer> layers = new ArrayList<>();
        List<NamedTensor> weights = new ArrayList<>();
        for (int l = 0; l < mlp.layers(); l++) {
            boolean backbone = l < mlp.backboneLayers();
            String name = backbone ? "backbone." + l : "head." + (l - mlp.backboneLayers());
            String part = backbone ? "backbone" : "head";
            int in = mlp.dim(l);
            int out = mlp.dim(l + 1);
            layers.add(
                    Layer.newBuilder()
                            .setName(name)
                            .setKind("linear")
                            .setPart(part)
                            .setAttributes(Map.of("in_features", Integer.toString(in), "out_features", Integer.toString(out)))
                            .build());
            weights.add(tensor(name + ".weight", params, (int) mlp.weightOffset(l), in, out));
            weights.add(tensor(name + ".bias", params, (int) mlp.biasOffset(l), out));
            if (l < mlp.layers() - 1) {
                layers.add(
                        Layer.newBuilder()
                                .setName(name + ".relu")
                                .setKind("relu")
                                .setPart(part)
                                .setAttributes(Map.of())
                                .build());
            }
        }
        List<Integer> inputShape = new ArrayList<>();
        for (int d : h.inputShape()) inputShape.add(d);
        return EncoderSnapshot.newBuilder()
                .setModelId(h.modelId())
                .setVersion(h.version())
                .setStep(h.step())
                .setSamplesSeen(h.samplesSeen())
                .setCreatedAt(h.createdAt())
                .setArchitecture("mlp")
                .setObjective("moco-v2")
                .setInputShape(inputShape)
                .setInputMean(h.inputMean())
                .setInputStd(h.inputStd())
                .setEmbeddingDim(mlp.representationDim())
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
