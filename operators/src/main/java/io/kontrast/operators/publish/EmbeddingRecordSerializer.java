package io.kontrast.operators.publish;

import io.kontrast.client.Wire;
import io.kontrast.schemas.Embedding;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes an embedding single-object encoded, keyed by sample id. */
public class EmbeddingRecordSerializer implements KafkaRecordSerializationSchema<Embedding> {
    private final String topic;

    public EmbeddingRecordSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Embedding e, KafkaSinkContext ctx, Long timestamp) {
        return new ProducerRecord<>(topic, e.getSampleId().getBytes(StandardCharsets.UTF_8),
                Wire.encode(Embedding.getEncoder(), e));
    }
}
