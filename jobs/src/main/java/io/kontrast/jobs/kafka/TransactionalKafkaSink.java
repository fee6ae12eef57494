package io.kontrast.jobs.kafka;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's exactly-once sink, with a committer that knows which restored transactions are
 * already committed.
 *
 * <p>After a restore, Flink hands the committer the transactions of the checkpoint it restored
 * from, since it cannot know whether the run before committed them: a stop with a savepoint
 * always has, a {@code kill -9} between a checkpoint and its commit has not. The connector's
 * committer then resumes each transaction with the producer epoch it was written with and
 * commits it. With the transaction protocol of Kafka 4 ({@code transaction.version=2}), the
 * broker bumps the epoch on every commit, so committing an already committed transaction again
 * is refused as fenced, and the connector logs an ERROR that says "this most likely signals data
 * loss" although nothing was lost. This committer first asks the broker ({@code
 * describeTransactions}) for the state of each restored transaction: one the broker already
 * committed, with the same producer id and a later epoch, is marked as committed and logged at
 * INFO; every other one (still open: commit it; aborted or expired: real loss) goes to the
 * connector's committer unchanged, with its ERROR where it is due.
 */
public final class TransactionalKafkaSink<IN>
        implements TwoPhaseCommittingStatefulSink<IN, KafkaWriterState, KafkaCommittable>,
                SupportsPostCommitTopology<KafkaCommittable> {
    private static final long serialVersionUID = 1L;

    /** How long the writers wait for an unreachable broker before they fail (and the job restarts). */
    public static final Duration OUTAGE_RIDDEN_OUT = Duration.ofMinutes(5);

    private final KafkaSink<IN> delegate;
    private final Properties adminConfig;

    private TransactionalKafkaSink(KafkaSink<IN> delegate, Properties adminConfig) {
        this.delegate = delegate;
        this.adminConfig = adminConfig;
    }

    /**
     * An exactly-once sink: {@code properties} are the producer's (bootstrap servers and any
     * security settings; the committer's admin client gets them too), {@code transactionalIdPrefix}
     * must be unique per sink of a job and stable across restarts.
     */
    public static <IN> TransactionalKafkaSink<IN> create(
            Properties properties, KafkaRecordSerializationSchema<IN> serializer, String transactionalIdPrefix) {
        KafkaSinkBuilder<IN> b = KafkaSink.<IN>builder()
                .setKafkaProducerConfig(properties)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix);
        if (!properties.containsKey(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)) {
            // Below the broker's transaction.max.timeout.ms (15 minutes by default).
            b.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "600000");
        }
        // A broker outage shorter than this blocks the writers and their commits instead of
        // failing them: the job then waits for its broker and goes on where it was, rather than
        // restarting from its last checkpoint again and again while the broker is away (the
        // clients' defaults give up after one and two minutes). Longer outages still fail over.
        for (String key : List.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)) {
            if (!properties.containsKey(key)) b.setProperty(key, Long.toString(OUTAGE_RIDDEN_OUT.toMillis()));
        }
        Properties admin = new Properties();
        for (String key : properties.stringPropertyNames()) {
            if (AdminClientConfig.configNames().contains(key)) admin.setProperty(key, properties.getProperty(key));
        }
        return new TransactionalKafkaSink<>(b.build(), admin);
    }

    @Override
    public Committer<KafkaCommittable> createCommitter(CommitterInitContext context) {
        return new RestoreAwareCommitter(delegate.createCommitter(context), adminConfig);
    }

    @Override
    public SimpleVersionedSerializer<KafkaCommittable> getCommittableSerializer() {
        return delegate.getCommittableSerializer();
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> createWriter(WriterInitContext context)
            throws IOException {
        return delegate.createWriter(context);
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> restoreWriter(
            WriterInitContext context, Collection<KafkaWriterState> recoveredState) {
        return delegate.restoreWriter(context, recoveredState);
    }

    @Override
    public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
        return delegate.getWriterStateSerializer();
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<KafkaCommittable>> committables) {
        delegate.addPostCommitTopology(committables);
    }

    /** See the class comment. */
    static final class RestoreAwareCommitter implements Committer<KafkaCommittable> {
        private static final Logger LOG = LoggerFactory.getLogger(TransactionalKafkaSink.class);
        /** How long a restored transaction that the broker is still completing is waited for. */
        private static final Duration COMPLETING = Duration.ofSeconds(30);

        private final Committer<KafkaCommittable> delegate;
        private final Properties adminConfig;

        RestoreAwareCommitter(Committer<KafkaCommittable> delegate, Properties adminConfig) {
            this.delegate = delegate;
            this.adminConfig = adminConfig;
        }

        @Override
        public void commit(Collection<CommitRequest<KafkaCommittable>> requests) throws IOException, InterruptedException {
            List<CommitRequest<KafkaCommittable>> restored = new ArrayList<>();
            List<CommitRequest<KafkaCommittable>> rest = new ArrayList<>();
            for (CommitRequest<KafkaCommittable> r : requests) {
                // A committable written by this run carries its producer; a restored one does not.
                (r.getCommittable().getProducer().isEmpty() ? restored : rest).add(r);
            }
            if (!restored.isEmpty()) {
                Map<String, TransactionDescription> states = describe(restored);
                for (CommitRequest<KafkaCommittable> r : restored) {
                    KafkaCommittable c = r.getCommittable();
                    TransactionDescription t = states.get(c.getTransactionalId());
                    if (t != null && t.state() == TransactionState.COMPLETE_COMMIT
                            && t.producerId() == c.getProducerId() && t.producerEpoch() > c.getEpoch()) {
                        LOG.info("Transaction {} of the restored checkpoint was committed before the restore (producer {}, "
                                + "epoch {} -> {}); nothing to commit.", c.getTransactionalId(), c.getProducerId(),
                                c.getEpoch(), t.producerEpoch());
                        r.signalAlreadyCommitted();
                    } else {
                        rest.add(r);
                    }
                }
            }
            if (!rest.isEmpty()) delegate.commit(rest);
        }

        /**
         * The broker's view of each restored transaction; waits out transactions the broker is
         * still completing. Empty where the broker cannot be asked: the connector's committer then
         * decides as it would have.
         */
        private Map<String, TransactionDescription> describe(List<CommitRequest<KafkaCommittable>> restored)
                throws InterruptedException {
            List<String> ids = restored.stream().map(r -> r.getCommittable().getTransactionalId()).distinct().toList();
            Map<String, TransactionDescription> out = new HashMap<>();
            long deadline = System.nanoTime() + COMPLETING.toNanos();
            try (Admin admin = Admin.create(adminConfig)) {
                while (true) {
                    out.clear();
                    for (String id : ids) {
                        try {
                            out.put(id, admin.describeTransactions(List.of(id)).description(id).get(30, TimeUnit.SECONDS));
                        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                            LOG.debug("Transaction {} not described: {}", id, e.toString());
                        }
                    }
                    boolean completing = out.values().stream().anyMatch(t -> t.state() == TransactionState.PREPARE_COMMIT);
                    if (!completing || System.nanoTime() > deadline) return out;
                    Thread.sleep(200);
                }
            } catch (RuntimeException e) {
                LOG.warn("Could not ask the broker about restored transactions {}: {}", ids, e.toString());
                return Map.of();
            }
        }

        @Override
        public void close() throws Exception {
            delegate.close();
        }
    }
}
