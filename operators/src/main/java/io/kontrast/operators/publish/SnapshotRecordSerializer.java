package io.kontrast.operators.publish;

import io.kontrast.client.Wire;
import io.kontrast.schemas.EncoderSnapshot;
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
        return new ProducerRecord<>(topic, null, s.getCreatedAt().toEpochMilli(),
                s.getModelId().getBytes(StandardCharsets.UTF_8), Wire.encode(EncoderSnapshot.getEncoder(), s));
    }
}
