package io.kontrast.operators.publish;

import io.kontrast.schemas.Embedding;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
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
        try {
            ByteBuffer buf = Embedding.getEncoder().encode(e);
            byte[] value = new byte[buf.remaining()];
            buf.get(value);
            return new ProducerRecord<>(topic, e.getSampleId().getBytes(StandardCharsets.UTF_8), value);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
