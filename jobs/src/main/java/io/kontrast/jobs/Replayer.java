package io.kontrast.jobs;

import io.kontrast.operators.decode.RawRecordDeserializer;

import io.kontrast.data.LabeledImages;
import io.kontrast.data.Samples;
import io.kontrast.data.StreamOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces a labeled image set into a topic as {@code Sample}s, epoch after epoch, each epoch in
 * a fresh seeded shuffle or in another {@link StreamOrder}. Sample ids are {@code <set>/<index>/e<epoch>}, so each epoch's
 * augmentations differ and every one is reproducible.
 */
public final class Replayer {
    private final java.util.Properties client;
    private final String topic;
    private final AtomicBoolean stopped = new AtomicBoolean();

    public Replayer(String bootstrap, String topic) {
        this(clientOf(bootstrap), topic);
    }

    /** With the settings of a client (bootstrap servers, security) as Kafka's tools take them. */
    public Replayer(java.util.Properties client, String topic) {
        this.client = client;
        this.topic = topic;
    }

    public void stop() {
        stopped.set(true);
    }

    /** Returns the number of records sent. {@code epochs} 0 replays until stopped. */
    public long replay(LabeledImages set, int epochs, double rate, boolean withLabels, long seed) {
        return replay(set, epochs, rate, withLabels, seed, false);
    }

    /**
     * With {@code files}, each record's value is the image's encoded file as it was read (the set
     * must come from an image folder), and a label goes in the {@code kontrast.label} header.
     */
    public long replay(LabeledImages set, int epochs, double rate, boolean withLabels, long seed, boolean files) {
        return replay(set, epochs, rate, withLabels, seed, files, StreamOrder.SHUFFLED, 0);
    }

    /** With each epoch in {@code order} ({@code runLength}: the drift order's run of one class). */
    public long replay(LabeledImages set, int epochs, double rate, boolean withLabels, long seed, boolean files,
            StreamOrder order, int runLength) {
        if (order != StreamOrder.SHUFFLED) {
            order.epoch(set.labels(), runLength, seed); // fails at once on a set without labels
        }
        if (files && set.files() == null) {
            throw new IllegalArgumentException(set.name() + " has no encoded files to replay");
        }
        java.util.Properties props = io.kontrast.operators.KafkaSettings.with(client, Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        long sent = 0;
        requireTopic();
        java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int epoch = 0; (epochs == 0 || epoch < epochs) && !stopped.get(); epoch++) {
                int[] indices = order.epoch(set.labels(), runLength, seed + epoch);
                for (int i : indices) {
                    if (stopped.get()) break;
                    String id = set.name() + "/" + i + "/e" + epoch;
                    byte[] value = files ? set.files()[i] : Samples.encode(Samples.sample(set, i, id, withLabels));
                    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), value);
                    if (files && withLabels) {
                        record.headers().add(RawRecordDeserializer.LABEL_HEADER,
                                Integer.toString(set.labels()[i]).getBytes(StandardCharsets.UTF_8));
                    }
                    if (failure.get() != null) {
                        throw new IllegalStateException("writing to " + topic + " failed: " + failure.get().getMessage(), failure.get());
                    }
                    producer.send(record, (meta, e) -> {
                        if (e != null) failure.compareAndSet(null, e);
                    });
                    sent++;
                    if (rate > 0) {
                        long due = start + (long) (sent * 1e9 / rate);
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            try {
                                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return sent;
                            }
                        }
                    }
                }
            }
            producer.flush();
        }
        return sent;
    }

    /** Fails at once, saying why, when the topic is missing or the broker refuses this client. */
    private void requireTopic() {
        java.util.Properties admin = io.kontrast.operators.KafkaSettings.with(client, Map.of(
                "default.api.timeout.ms", 15000, "request.timeout.ms", 15000));
        try (org.apache.kafka.clients.admin.Admin a = org.apache.kafka.clients.admin.Admin.create(admin)) {
            a.describeTopics(java.util.List.of(topic)).allTopicNames().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalArgumentException("cannot write to topic " + topic + " at " + client.getProperty("bootstrap.servers")
                    + ": " + e.getCause().getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalArgumentException("no answer from Kafka at " + client.getProperty("bootstrap.servers"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static java.util.Properties clientOf(String bootstrap) {
        java.util.Properties p = new java.util.Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return p;
    }
}
