package io.kontrast.operators.publish;

import io.kontrast.schemas.DeadLetter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes a dead letter single-object encoded, with the original record's key. */
public class DeadLetterRecordSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private final String topic;

    public DeadLetterRecordSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext ctx, Long timestamp) {
        try {
            ByteBuffer buf = DeadLetter.getEncoder().encode(d);
            byte[] value = new byte[buf.remaining()];
            buf.get(value);
            byte[] key = null;
            if (d.getKey() != null) {
                ByteBuffer k = d.getKey().duplicate();
                key = new byte[k.remaining()];
                k.get(key);
            }
            return new ProducerRecord<>(topic, key, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
