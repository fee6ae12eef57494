package io.kontrast.operators.publish;

import io.kontrast.schemas.EncoderSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes a snapshot single-object encoded, keyed by model id. */
public class SnapshotRecordSerializer implements KafkaRecordSerializationSchema<EncoderSnapshot> {
    private final String topic;

    public SnapshotRecordSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(EncoderSnapshot s, KafkaSinkContext ctx, Long timestamp) {
        try {
            ByteBuffer buf = EncoderSnapshot.getEncoder().encode(s);
            byte[] value = new byte[buf.remaining()];
            buf.get(value);
            return new ProducerRecord<>(topic, null, s.getCreatedAt().toEpochMilli(),
                    s.getModelId().getBytes(StandardCharsets.UTF_8), value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
