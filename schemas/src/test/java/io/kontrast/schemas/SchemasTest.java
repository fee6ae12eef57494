package io.kontrast.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.MissingSchemaException;
import org.junit.jupiter.api.Test;

class SchemasTest {
    static Sample sample() {
        return Sample.newBuilder()
                .setId("a/1")
                .setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
                .setSource("test")
                .setTensor(Tensor.newBuilder()
                        .setShape(List.of(1, 2, 2))
                        .setDtype(DType.UINT8)
                        .setData(ByteBuffer.wrap(new byte[] {1, 2, 3, (byte) 255}))
                        .build())
                .setLabel(3)
                .setAttributes(Map.of("camera", "7"))
                .build();
    }

    @Test
    void sampleRoundTripsThroughSingleObjectEncoding() throws Exception {
        ByteBuffer wire = Sample.getEncoder().encode(sample());
        byte[] bytes = new byte[wire.remaining()];
        wire.duplicate().get(bytes);
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(fingerprint).isEqualTo(SchemaNormalization.parsingFingerprint64(Sample.getClassSchema()));
        assertThat(Sample.getDecoder().decode(bytes)).isEqualTo(sample());
    }

    @Test
    void snapshotAndDeadLetterRoundTrip() throws Exception {
        EncoderSnapshot s = EncoderSnapshot.newBuilder()
                .setModelId("m").setVersion(3).setStep(300).setSamplesSeen(76800)
                .setCreatedAt(Instant.ofEpochMilli(5)).setArchitecture("mlp").setObjective("moco-v2")
                .setInputShape(List.of(1, 28, 28)).setInputMean(0.5f).setInputStd(0.25f).setEmbeddingDim(2)
                .setLayers(List.of(Layer.newBuilder().setName("backbone.0").setKind("linear").setPart("backbone")
                        .setAttributes(Map.of("in_features", "784")).build()))
                .setWeights(List.of(NamedTensor.newBuilder().setName("backbone.0.bias")
                        .setTensor(Tensor.newBuilder().setShape(List.of(2)).setDtype(DType.FLOAT32)
                                .setData(ByteBuffer.allocate(8)).build()).build()))
                .setMetrics(Map.of("loss", 1.5)).setChecksum("sha256:00").build();
        assertThat(EncoderSnapshot.getDecoder().decode(EncoderSnapshot.getEncoder().encode(s))).isEqualTo(s);
        DeadLetter d = DeadLetter.newBuilder().setTopic("samples").setPartition(0).setOffset(9)
                .setValue(ByteBuffer.wrap(new byte[] {9})).setReason("NOT_AVRO").setMessage("x")
                .setFailedAt(Instant.ofEpochMilli(1)).build();
        assertThat(DeadLetter.getDecoder().decode(DeadLetter.getEncoder().encode(d))).isEqualTo(d);
    }

    @Test
    void unknownFingerprintIsAnErrorWithAMessage() throws Exception {
        ByteBuffer wire = Sample.getEncoder().encode(sample());
        byte[] bytes = new byte[wire.remaining()];
        wire.get(bytes);
        bytes[5] ^= 0x5A; // another schema's fingerprint
        assertThatThrownBy(() -> Sample.getDecoder().decode(bytes))
                .isInstanceOf(MissingSchemaException.class)
                .hasMessageContaining("Cannot resolve schema for fingerprint");
    }
}
