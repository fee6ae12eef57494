package io.kontrast.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.internal.FlinkKafkaInternalProducer;
import org.apache.flink.connector.kafka.sink.internal.KafkaCommitter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committer of {@link TransactionalKafkaSink} against a real broker: a restored transaction
 * that the run before had committed is recognised as committed (where the connector's own
 * committer is refused as fenced and reports likely data loss), and one left open by a killed
 * run is still committed.
 */
class TransactionalKafkaSinkTest {
    @TempDir
    static Path tmp;

    static EmbeddedKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0, tmp.resolve("kafka"));
        EmbeddedKafka.createTopics(kafka.bootstrapServers(), List.of(new EmbeddedKafka.TopicSpec("out", 1, Map.of())));
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    static Properties producerConfig() {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.setProperty(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.setProperty(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /** A request as Flink hands it over, recording what the committer signalled. */
    static final class Request implements Committer.CommitRequest<KafkaCommittable> {
        final KafkaCommittable committable;
        final List<String> signals = new ArrayList<>();

        Request(KafkaCommittable committable) {
            this.committable = committable;
        }

        @Override public KafkaCommittable getCommittable() { return committable; }
        @Override public int getNumberOfRetries() { return 0; }
        @Override public void signalFailedWithKnownReason(Throwable t) { signals.add("failed: " + t.getClass().getSimpleName()); }
        @Override public void signalFailedWithUnknownReason(Throwable t) { signals.add("failed unknown: " + t); }
        @Override public void retryLater() { signals.add("retry"); }
        @Override public void updateAndRetryLater(KafkaCommittable c) { signals.add("update"); }
        @Override public void signalAlreadyCommitted() { signals.add("already committed"); }
    }

    /**
     * Writes {@code value} in a transaction of its own, as the sink's writer does, and returns its
     * committable as a checkpoint stores it (no producer); commits it first when asked, and
     * otherwise leaves it open, as a run killed after its checkpoint leaves it.
     */
    static KafkaCommittable transaction(String id, String value, boolean commit) throws Exception {
        FlinkKafkaInternalProducer<byte[], byte[]> p = new FlinkKafkaInternalProducer<>(producerConfig(), id);
        p.initTransactions();
        p.beginTransaction();
        p.send(new ProducerRecord<>("out", value.getBytes())).get();
        p.flush();
        KafkaCommittable stored = new KafkaCommittable(p.getProducerId(), p.getEpoch(), id, null);
        if (commit) p.commitTransaction();
        p.close();
        return stored;
    }

    static KafkaCommitter connectorCommitter(String prefix) {
        return new KafkaCommitter(producerConfig(), prefix, 0, 0, false, FlinkKafkaInternalProducer::new);
    }

    static TransactionalKafkaSink.RestoreAwareCommitter committer(String prefix) {
        Properties admin = new Properties();
        admin.setProperty("bootstrap.servers", kafka.bootstrapServers());
        return new TransactionalKafkaSink.RestoreAwareCommitter(connectorCommitter(prefix), admin);
    }

    static List<String> committedValues() {
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "t-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            c.subscribe(List.of("out"));
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < deadline) c.poll(Duration.ofMillis(200)).forEach(r -> out.add(new String(r.value())));
        }
        return out;
    }

    @Test
    void aRestoredTransactionThatWasCommittedIsNotCommittedAgain() throws Exception {
        KafkaCommittable stored = transaction("kontrast-test-0-3", "committed", true);

        // The connector's committer alone: resumed with the stored epoch, the commit is fenced.
        Request plain = new Request(stored);
        try (KafkaCommitter c = connectorCommitter("kontrast-test")) {
            c.commit(List.of(plain));
        }
        assertThat(plain.signals).containsExactly("failed: ProducerFencedException");

        Request request = new Request(stored);
        try (var c = committer("kontrast-test")) {
            c.commit(List.of(request));
        }
        assertThat(request.signals).containsExactly("already committed");
        assertThat(committedValues()).containsOnlyOnce("committed");
    }

    @Test
    void aRestoredTransactionLeftOpenIsCommitted() throws Exception {
        KafkaCommittable stored = transaction("kontrast-test-0-7", "left open", false);
        assertThat(committedValues()).doesNotContain("left open");

        Request request = new Request(stored);
        try (var c = committer("kontrast-test")) {
            c.commit(List.of(request));
        }
        assertThat(request.signals).isEmpty();
        assertThat(committedValues()).containsOnlyOnce("left open");
    }
}
