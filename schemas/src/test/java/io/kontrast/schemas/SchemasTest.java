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

    /**
     * A producer still on version 1 of the schema (no {@code parts}): its records, written with
     * that schema's fingerprint, decode into the current schema with every field and no parts; a
     * paired record of the current version keeps its parts.
     */
    @Test
    void recordsOfTheFirstSchemaVersionStillDecode() throws Exception {
        org.apache.avro.Schema v1 = SampleSchemas.earlier().get(0);
        assertThat(v1.getField("parts")).isNull();
        assertThat(SchemaNormalization.parsingFingerprint64(v1))
                .isNotEqualTo(SchemaNormalization.parsingFingerprint64(Sample.getClassSchema()));
        org.apache.avro.generic.GenericData.Record tensor = new org.apache.avro.generic.GenericData.Record(Tensor.getClassSchema());
        tensor.put("shape", List.of(1, 2, 2));
        tensor.put("dtype", new org.apache.avro.generic.GenericData.EnumSymbol(DType.getClassSchema(), "UINT8"));
        tensor.put("data", ByteBuffer.wrap(new byte[] {1, 2, 3, (byte) 255}));
        org.apache.avro.generic.GenericData.Record old = new org.apache.avro.generic.GenericData.Record(v1);
        old.put("id", "a/1");
        old.put("event_time", 1_700_000_000_123L);
        old.put("source", "test");
        old.put("tensor", tensor);
        old.put("label", 3);
        old.put("attributes", Map.of("camera", "7"));
        ByteBuffer wire = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericData.Record>(
                org.apache.avro.generic.GenericData.get(), v1).encode(old);
        byte[] bytes = new byte[wire.remaining()];
        wire.get(bytes);
        assertThatThrownBy(() -> Sample.getDecoder().decode(bytes)).isInstanceOf(MissingSchemaException.class);
        Sample decoded = SampleSchemas.decoder().decode(bytes);
        assertThat(decoded).isEqualTo(sample());
        assertThat(decoded.getParts()).isEmpty();

        Sample paired = Sample.newBuilder(sample()).setParts(List.of(NamedTensor.newBuilder().setName("top")
                .setTensor(sample().getTensor()).build())).build();
        assertThat(SampleSchemas.decoder().decode(Sample.getEncoder().encode(paired))).isEqualTo(paired);
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
