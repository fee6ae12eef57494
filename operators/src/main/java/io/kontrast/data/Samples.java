package io.kontrast.data;

import io.kontrast.client.Wire;
import io.kontrast.schemas.DType;
import io.kontrast.schemas.Sample;
import io.kontrast.schemas.Tensor;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Turns dataset images into {@link Sample} records on the wire. */
public final class Samples {
    private Samples() {}

    /**
     * Image {@code i} of {@code set} as a UINT8 {@code [C, H, W]} sample, a vector set's sample as
     * a UINT8 {@code [F]} one, a sequence set's as a UINT8 {@code [T, F]} one, a token set's as an
     * INT32 {@code [T]} one.
     */
    public static Sample sample(LabeledImages set, int i, String id, boolean withLabel) {
        if (set.isHalves()) return halves(set, i, id, withLabel);
        if (set.isGraphs()) return graph(set, i, id, withLabel);
        int n = set.pixelsPerImage();
        ByteBuffer data = ByteBuffer.wrap(set.pixels(), i * n, n).slice();
        if (set.isTokens()) {
            // Token ids as INT32, little-endian.
            ByteBuffer ids = ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int t = 0; t < n; t++) ids.putInt(set.pixels()[i * n + t] & 0xFF);
            ids.flip();
            return Sample.newBuilder()
                    .setId(id)
                    .setEventTime(Instant.now())
                    .setSource(set.name())
                    .setTensor(Tensor.newBuilder().setShape(List.of(n)).setDtype(DType.INT32).setData(ids).build())
                    .setLabel(withLabel ? set.labels()[i] : null)
                    .setAttributes(Map.of("instance", set.name() + "/" + i))
                    .build();
        }
        if (set.channels() > 1 && set.isImages()) {
            // Tensors are [C, H, W]: planes, not the set's interleaved pixels.
            int c = set.channels();
            int area = set.height() * set.width();
            byte[] planes = new byte[n];
            for (int p = 0; p < area; p++) {
                for (int k = 0; k < c; k++) planes[k * area + p] = set.pixels()[i * n + p * c + k];
            }
            data = ByteBuffer.wrap(planes);
        }
        return Sample.newBuilder()
                .setId(id)
                .setEventTime(Instant.now())
                .setSource(set.name())
                .setTensor(Tensor.newBuilder()
                        .setShape(set.isVectors() ? List.of(set.channels())
                                : set.isSequences() ? List.of(set.width(), set.channels())
                                : List.of(set.channels(), set.height(), set.width()))
                        .setDtype(DType.UINT8)
                        .setData(data)
                        .build())
                .setLabel(withLabel ? set.labels()[i] : null)
                // The image's place in its set names the object: every epoch's sighting shares it.
                .setAttributes(Map.of("instance", set.name() + "/" + i))
                .build();
    }

    /**
     * Image {@code i} of a halves set as a paired sample: parts {@code top} and {@code bottom},
     * each UINT8 {@code [1, H/2, W]}; the sample's own tensor is empty ({@code [0]}).
     */
    static Sample halves(LabeledImages set, int i, String id, boolean withLabel) {
        int n = set.pixelsPerImage();
        int half = n / 2;
        int[] shape = set.halfShape();
        List<io.kontrast.schemas.NamedTensor> parts = new java.util.ArrayList<>();
        for (int p = 0; p < 2; p++) {
            parts.add(io.kontrast.schemas.NamedTensor.newBuilder().setName(LabeledImages.HALVES.get(p))
                    .setTensor(Tensor.newBuilder().setShape(List.of(shape[0], shape[1], shape[2])).setDtype(DType.UINT8)
                            .setData(ByteBuffer.wrap(set.pixels(), i * n + p * half, half).slice()).build())
                    .build());
        }
        return Sample.newBuilder()
                .setId(id)
                .setEventTime(Instant.now())
                .setSource(set.name())
                .setTensor(Tensor.newBuilder().setShape(List.of(0)).setDtype(DType.UINT8).setData(ByteBuffer.allocate(0)).build())
                .setLabel(withLabel ? set.labels()[i] : null)
                .setAttributes(Map.of("instance", set.name() + "/" + i))
                .setParts(parts)
                .build();
    }

    /** Single-object encoding: {@code C3 01}, the schema fingerprint, the datum. */
    /**
     * Packed neighbourhood {@code i} of a graph set ({@link SbmGraphs}) as a graph sample: parts
     * {@code nodes} (FLOAT32 {@code [n, F]}), {@code edges} (INT32 {@code [E, 2]}, each edge once) and
     * {@code centre} ({@code [1]}: node 0).
     */
    static Sample graph(LabeledImages set, int i, String id, boolean withLabel) {
        int n = SbmGraphs.nodes(set, i);
        int f = SbmGraphs.FEATURES;
        int row = SbmGraphs.ROW;
        int at = i * set.pixelsPerImage();
        float[] packed = set.image(i);
        ByteBuffer features = ByteBuffer.allocate(4 * n * f).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        List<int[]> edges = new java.util.ArrayList<>();
        for (int a = 0; a < n; a++) {
            for (int k = 0; k < f; k++) features.putFloat(packed[a * row + k]);
            for (int b = a + 1; b < n; b++) {
                if (set.pixels()[at + a * row + f + b] != 0) edges.add(new int[] {a, b});
            }
        }
        ByteBuffer e = ByteBuffer.allocate(8 * edges.size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int[] pair : edges) e.putInt(pair[0]).putInt(pair[1]);
        e.flip();
        ByteBuffer centre = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0).flip();
        return Sample.newBuilder()
                .setId(id)
                .setEventTime(Instant.now())
                .setSource(set.name())
                .setTensor(Tensor.newBuilder().setShape(List.of(0)).setDtype(DType.UINT8).setData(ByteBuffer.allocate(0)).build())
                .setParts(List.of(
                        io.kontrast.schemas.NamedTensor.newBuilder().setName("nodes").setTensor(Tensor.newBuilder()
                                .setShape(List.of(n, f)).setDtype(DType.FLOAT32).setData(features.flip()).build()).build(),
                        io.kontrast.schemas.NamedTensor.newBuilder().setName("edges").setTensor(Tensor.newBuilder()
                                .setShape(List.of(edges.size(), 2)).setDtype(DType.INT32).setData(e).build()).build(),
                        io.kontrast.schemas.NamedTensor.newBuilder().setName("centre").setTensor(Tensor.newBuilder()
                                .setShape(List.of(1)).setDtype(DType.INT32).setData(centre).build()).build()))
                .setLabel(withLabel ? set.labels()[i] : null)
                .setAttributes(Map.of("instance", set.name() + "/" + i))
                .build();
    }

    public static byte[] encode(Sample s) {
        return Wire.encode(Sample.getEncoder(), s);
    }
}
