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

    /** Image {@code i} of {@code set} as a UINT8 {@code [1, H, W]} sample. */
    public static Sample sample(LabeledImages set, int i, String id, boolean withLabel) {
        int n = set.pixelsPerImage();
        ByteBuffer data = ByteBuffer.wrap(set.pixels(), i * n, n).slice();
        return Sample.newBuilder()
                .setId(id)
                .setEventTime(Instant.now())
                .setSource(set.name())
                .setTensor(Tensor.newBuilder()
                        .setShape(List.of(1, set.height(), set.width()))
                        .setDtype(DType.UINT8)
                        .setData(data)
                        .build())
                .setLabel(withLabel ? set.labels()[i] : null)
                .setAttributes(Map.of())
                .build();
    }

    /** Single-object encoding: {@code C3 01}, the schema fingerprint, the datum. */
    public static byte[] encode(Sample s) {
        return Wire.encode(Sample.getEncoder(), s);
    }
}
