package io.kontrast.operators.decode;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Passes records on undecoded, so that decoding errors are handled in the stream, not the source. */
public class RawRecordDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
    /** Header with a raw image record's class label (decimal), read for the quality monitor only. */
    public static final String LABEL_HEADER = "kontrast.label";

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<RawRecord> out) {
        RawRecord raw = new RawRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value());
        org.apache.kafka.common.header.Header label = r.headers().lastHeader(LABEL_HEADER);
        if (label != null && label.value() != null) {
            try {
                raw.label = Integer.parseInt(new String(label.value(), java.nio.charset.StandardCharsets.UTF_8).trim());
            } catch (NumberFormatException e) {
                raw.label = -1; // a label is never needed for training; a bad one is ignored
            }
        }
        out.collect(raw);
    }

    @Override
    public TypeInformation<RawRecord> getProducedType() {
        return TypeInformation.of(RawRecord.class);
    }
}
