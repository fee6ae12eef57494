package io.kontrast.jobs;

import io.kontrast.schemas.EncoderSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads every committed snapshot on a topic ({@code read_committed}), in order. */
public final class SnapshotTopicReader {
    private SnapshotTopicReader() {}

    public static List<EncoderSnapshot> readAll(String bootstrap, String topic, Duration timeout) throws Exception {
        java.util.Properties client = new java.util.Properties();
        client.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return readAll(client, topic, timeout);
    }

    /** With the settings of a client (bootstrap servers, security). */
    public static List<EncoderSnapshot> readAll(java.util.Properties client, String topic, Duration timeout) throws Exception {
        java.util.Properties props = io.kontrast.operators.KafkaSettings.with(client, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "kontrast-reader-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 << 20,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 128 << 20,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        List<EncoderSnapshot> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            Set<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .collect(Collectors.toSet());
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    out.add(EncoderSnapshot.getDecoder().decode(r.value()));
                }
                boolean done = true;
                for (TopicPartition tp : parts) {
                    if (c.position(tp) < end.get(tp)) done = false;
                }
                if (done) break;
            }
        }
        return out;
    }
}
