package io.kontrast.operators.publish;

import io.kontrast.client.Wire;
import io.kontrast.schemas.DeadLetter;
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
        byte[] key = null;
        if (d.getKey() != null) {
            ByteBuffer k = d.getKey().duplicate();
            key = new byte[k.remaining()];
            k.get(key);
        }
        return new ProducerRecord<>(topic, key, Wire.encode(DeadLetter.getEncoder(), d));
    }
}
