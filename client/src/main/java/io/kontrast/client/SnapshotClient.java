package io.kontrast.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows an encoder snapshot topic and keeps the newest encoder of one model ready to embed.
 *
 * <ul>
 *   <li>Reads {@code read_committed}, so it only sees snapshots whose checkpoint committed.
 *   <li>Verifies each snapshot's checksum and structure; a bad or truncated one is logged with
 *       the reason, counted in {@link #rejectedCount()}, and the current encoder stays.
 *   <li>Never goes back: a version not newer than the current one is ignored.
 *   <li>A new version is swapped in atomically; threads that are embedding finish with the encoder
 *       they started with. Listeners hear of every change.
 * </ul>
 *
 * <pre>{@code
 * try (SnapshotClient client = SnapshotClient.start("kafka:9092", "encoder-snapshots", "kontrast")) {
 *     client.awaitEncoder(Duration.ofMinutes(1));
 *     float[] vector = client.embed(pixels);
 * }
 * }</pre>
 */
public final class SnapshotClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotClient.class);

    /** A version change: {@code previous} is null for the first encoder. */
    public record VersionChange(Encoder previous, Encoder current) {}

    private final String topic;
    private final String modelId;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AtomicReference<Encoder> current = new AtomicReference<>();
    private final List<Consumer<VersionChange>> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch first = new CountDownLatch(1);
    private final AtomicLong rejected = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;

    private SnapshotClient(Properties client, String topic, String modelId, Map<String, Object> overrides) {
        this.topic = topic;
        this.modelId = modelId;
        Properties p = new Properties();
        p.putAll(client);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "kontrast-client-" + UUID.randomUUID());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 << 20);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 128 << 20);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.putAll(overrides);
        consumer = new KafkaConsumer<>(p);
        thread = new Thread(this::run, "kontrast-snapshot-client-" + topic);
        thread.setDaemon(true);
    }

    /** Starts following {@code topic} for snapshots of {@code modelId} (null: any model). */
    public static SnapshotClient start(String bootstrap, String topic, String modelId) {
        return start(bootstrap, topic, modelId, Map.of());
    }

    public static SnapshotClient start(String bootstrap, String topic, String modelId, Map<String, Object> consumerOverrides) {
        Properties client = new Properties();
        client.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return start(client, topic, modelId, consumerOverrides);
    }

    /**
     * With the settings of a Kafka client, as Kafka's tools read them from a properties file:
     * {@code bootstrap.servers} and any security settings ({@code security.protocol}, {@code
     * sasl.*}, {@code ssl.*}).
     */
    public static SnapshotClient start(Properties client, String topic, String modelId) {
        return start(client, topic, modelId, Map.of());
    }

    public static SnapshotClient start(Properties client, String topic, String modelId, Map<String, Object> consumerOverrides) {
        if (client.getProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) == null) {
            throw new IllegalArgumentException("the client settings name no bootstrap.servers");
        }
        SnapshotClient c = new SnapshotClient(client, topic, modelId, consumerOverrides);
        c.consumer.subscribe(List.of(topic));
        c.thread.start();
        return c;
    }

    private void run() {
        try {
            while (!closed) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    offer(r.value(), r.partition() + "@" + r.offset());
                }
            }
        } catch (WakeupException e) {
            if (!closed) throw e;
        } catch (RuntimeException e) {
            LOG.error("Snapshot client for {} stopped", topic, e);
        } finally {
            consumer.close();
        }
    }

    /** Considers one snapshot record; returns true when it became the current encoder. */
    public boolean offer(byte[] value, String where) {
        Encoder next;
        try {
            next = SnapshotCodecs.encoder(value);
        } catch (InvalidSnapshotException e) {
            rejected.incrementAndGet();
            LOG.warn("Rejected snapshot at {} {}: {}", topic, where, e.getMessage());
            return false;
        }
        if (modelId != null && !modelId.equals(next.modelId())) {
            return false;
        }
        Encoder prev;
        do {
            prev = current.get();
            if (prev != null && next.version() <= prev.version()) {
                return false;
            }
        } while (!current.compareAndSet(prev, next));
        first.countDown();
        VersionChange change = new VersionChange(prev, next);
        for (Consumer<VersionChange> l : listeners) {
            try {
                l.accept(change);
            } catch (RuntimeException e) {
                LOG.warn("Snapshot listener failed", e);
            }
        }
        return true;
    }

    public void addListener(Consumer<VersionChange> listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    /** Waits for the first encoder; returns false on timeout. */
    public boolean awaitEncoder(Duration timeout) throws InterruptedException {
        return first.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The current encoder, or null before the first snapshot. */
    public Encoder encoder() {
        return current.get();
    }

    public long version() {
        Encoder e = current.get();
        return e == null ? 0 : e.version();
    }

    public long rejectedCount() {
        return rejected.get();
    }

    public float[] embed(float[] pixels) {
        return require().embed(pixels);
    }

    public float[] embed(byte[] pixels) {
        return require().embed(pixels);
    }

    /** A batch, all with the same encoder version. */
    public float[][] embedBatch(float[][] batch) {
        return require().embedBatch(batch);
    }

    private Encoder require() {
        Encoder e = current.get();
        if (e == null) throw new IllegalStateException("no encoder snapshot received yet from " + topic);
        return e;
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        consumer.wakeup();
        thread.join(10_000);
    }
}
