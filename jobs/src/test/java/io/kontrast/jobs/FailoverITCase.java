package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.data.Samples;
import io.kontrast.jobs.CheckpointsCommand.RestorePoint;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.operators.KontrastOptions;
import io.kontrast.schemas.DeadLetter;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Failures in the middle of training: a TaskManager lost inside the cluster, and the whole
 * {@code train} process killed with SIGKILL and started again. Afterwards the snapshot topic, read
 * {@code read_committed}, must hold versions 1, 2, 3, ... with no gap, duplicate or step back,
 * and training must have continued from the restored step.
 */
class FailoverITCase extends WithKafka {
    static final int BATCH = 64;
    static final int EVERY = 10;
    static final long BUDGET = 240L * BATCH;
    /** One garbage record (random bytes) after every this many samples. */
    static final int GARBAGE_EVERY = 100;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(4)
                    .build());

    /** The index of the cluster's running TaskManager (they are numbered as started). */
    private static int liveTaskManager = 0;

    static void fill(String topic, long samples) throws Exception {
        var images = SyntheticShapes.generate(1000, 5, "synthetic/train");
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int n = 0; n < samples; n++) {
            int i = n % images.size();
            String id = "syn/" + i + "/e" + n / images.size();
            records.add(new ProducerRecord<>(topic, id.getBytes(), Samples.encode(Samples.sample(images, i, id, false))));
            if (n % GARBAGE_EVERY == GARBAGE_EVERY / 2) {
                byte[] junk = new byte[1 + n % 300];
                new java.util.SplittableRandom(n).nextBytes(junk);
                records.add(new ProducerRecord<>(topic, ("bad/" + n).getBytes(), junk));
            }
        }
        // Every record must be in the topic, or a job waits for samples that never come: a batch the
        // broker refused (seen on a loaded machine: an idempotent producer's batch rejected as out of
        // order) is sent again, one record at a time, until it is acknowledged.
        List<ProducerRecord<byte[], byte[]>> failed = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = TrainJobITCase.producer(kafka.bootstrapServers())) {
            List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> acks = new ArrayList<>();
            for (var r : records) acks.add(p.send(r));
            p.flush();
            for (int k = 0; k < acks.size(); k++) {
                try {
                    acks.get(k).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failed.add(records.get(k));
                }
            }
        }
        for (int attempt = 0; !failed.isEmpty(); attempt++) {
            assertThat(attempt).as("records the broker keeps refusing: " + failed.size()).isLessThan(5);
            System.err.printf("fill %s: %d records refused, sending them again%n", topic, failed.size());
            List<ProducerRecord<byte[], byte[]>> again = failed;
            failed = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> p = TrainJobITCase.producer(kafka.bootstrapServers())) {
                for (var r : again) {
                    try {
                        p.send(r).get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        failed.add(r);
                    }
                }
            }
        }
    }

    /** Topics of their own for one test, with the budget and a margin of samples in them. */
    static void prepareTopics(String name) throws Exception {
        EmbeddedKafka.createTopics(kafka.bootstrapServers(),
                EmbeddedKafka.kontrastTopics("samples-" + name, "dlq-" + name, "snapshots-" + name));
        fill("samples-" + name, BUDGET + 2000);
    }

    static List<EncoderSnapshot> committedWith(java.util.Properties client, String topic) throws Exception {
        return SnapshotTopicReader.readAll(client, topic, Duration.ofSeconds(20));
    }

    static List<EncoderSnapshot> committed(String topic) throws Exception {
        return SnapshotTopicReader.readAll(kafka.bootstrapServers(), topic, Duration.ofSeconds(20));
    }

    static void assertContiguousVersionsFromOne(List<EncoderSnapshot> snapshots) {
        assertContiguousVersionsFromOne(snapshots, BUDGET);
    }

    static void assertContiguousVersionsFromOne(List<EncoderSnapshot> snapshots, long budget) {
        assertThat(snapshots).isNotEmpty();
        for (int i = 0; i < snapshots.size(); i++) {
            EncoderSnapshot s = snapshots.get(i);
            assertThat(s.getVersion()).as("snapshot %d of %d", i, snapshots.size()).isEqualTo(i + 1L);
            if (i > 0) {
                assertThat(s.getStep()).isGreaterThan(snapshots.get(i - 1).getStep());
                assertThat(s.getSamplesSeen()).isGreaterThan(snapshots.get(i - 1).getSamplesSeen());
            }
        }
        EncoderSnapshot last = snapshots.get(snapshots.size() - 1);
        assertThat(last.getSamplesSeen()).isEqualTo(budget);
        assertThat(last.getStep()).isEqualTo(budget / BATCH);
    }

    @Test
    void stopsWithASavepointAndResumesFromItWithAnotherViewParallelism() throws Exception {
        String name = "savepoint";
        prepareTopics(name);
        Path checkpoints = tmp.resolve("ckpt-" + name);
        List<String> firstArgs = new ArrayList<>(trainArgs(name, checkpoints));
        firstArgs.set(firstArgs.indexOf("--max-samples") + 1, Long.toString(BUDGET / 2));
        var out = new java.io.ByteArrayOutputStream();
        assertThat(KontrastCli.run(firstArgs.toArray(String[]::new), new java.io.PrintStream(out, true), System.err))
                .as(out.toString()).isZero();
        assertThat(out.toString()).contains("Savepoint: ");
        assertContiguousVersionsFromOne(committed("snapshots-" + name), BUDGET / 2);

        List<String> secondArgs = new ArrayList<>(trainArgs(name, checkpoints));
        secondArgs.addAll(List.of("--view-parallelism", "2"));
        out.reset();
        assertThat(KontrastCli.run(secondArgs.toArray(String[]::new), new java.io.PrintStream(out, true), System.err))
                .as(out.toString()).isZero();
        assertThat(out.toString()).contains("Resuming from").contains("savepoint-");
        assertContiguousVersionsFromOne(committed("snapshots-" + name));
    }

    /**
     * A job whose budget is already reached when it starts (as under a retrying scheduler or
     * Kubernetes after it finished) ends with exit 0 every time, without a new snapshot version.
     */
    @Test
    void aFinishedJobStartedAgainEndsWithExitZeroEveryTime() throws Exception {
        String name = "finished";
        prepareTopics(name);
        Path checkpoints = tmp.resolve("ckpt-" + name);
        List<String> argv = new ArrayList<>(trainArgs(name, checkpoints));
        argv.set(argv.indexOf("--max-samples") + 1, Long.toString(BUDGET / 4));
        var out = new java.io.ByteArrayOutputStream();
        assertThat(KontrastCli.run(argv.toArray(String[]::new), new java.io.PrintStream(out, true), System.err))
                .as(out.toString()).isZero();
        List<EncoderSnapshot> before = committed("snapshots-" + name);
        assertContiguousVersionsFromOne(before, BUDGET / 4);
        assertCheckpointsListed(checkpoints);
        // Each run in a process of its own, with a MiniCluster of its own, as a user starts it: the
        // budget is reached as soon as the restored trainer reports, while the other tasks may
        // still be deploying.
        for (int run = 0; run < 3; run++) {
            Path log = tmp.resolve("finished-" + run + ".log");
            Process p = start(argv, log);
            assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
            String text = Files.readString(log);
            assertThat(p.exitValue()).as("run %d: %s", run, text).isZero();
            assertThat(text).contains("Resuming from", "samples=" + BUDGET / 4);
            assertThat(errorsOtherThanUpstreamAbortRace(text)).as("run %d logs no ERROR", run).isEmpty();
        }
        assertThat(committed("snapshots-" + name)).as("no new version").isEqualTo(before);
    }

    /**
     * {@code checkpoints} lists what the run retained: checkpoints whose trainer state is most of
     * their state and whose incremental part is no larger than the whole, and the stop's
     * savepoint, the newest, which is the one a restart resumes from.
     */
    static void assertCheckpointsListed(Path checkpoints) throws Exception {
        var out = new java.io.ByteArrayOutputStream();
        assertThat(KontrastCli.run(new String[] {"checkpoints", "--checkpoint-dir", checkpoints.toString()},
                new java.io.PrintStream(out, true), System.err)).isZero();
        assertThat(out.toString()).contains("moco-trainer", "snapshots-sink (committer)", "savepoints/savepoint-", "<- newest");
        List<CheckpointsCommand.RestorePoint> points = CheckpointsCommand.list(checkpoints);
        assertThat(points).isNotEmpty();
        RestorePoint newest = points.get(points.size() - 1);
        assertThat(newest.savepoint()).isTrue();
        assertThat(FlinkSetup.newestRestorePoint(checkpoints)).contains(newest.dir());
        for (RestorePoint p : points) {
            long trainer = p.operators().get("moco-trainer")[0];
            assertThat(trainer).as("%s", p.dir()).isPositive().isGreaterThan(p.stateBytes() / 2);
            assertThat(p.writtenBytes()).as("%s", p.dir()).isPositive().isLessThanOrEqualTo(p.stateBytes());
        }
    }

    /**
     * The ERROR lines of a run's log, leaving out one Flink race (2.2.1): a periodic checkpoint
     * the stop-with-savepoint aborts before the source coordinator marked it makes the
     * coordinator log "Trying to open gateway for unseen checkpoint" at ERROR. Flink catches it
     * and the stop completes; the test still fails on any other ERROR.
     */
    static List<String> errorsOtherThanUpstreamAbortRace(String log) {
        String[] lines = log.split("\\R");
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].contains(" ERROR ")) continue;
            boolean race = lines[i].contains("FencedPekkoRpcActor") && i + 1 < lines.length
                    && lines[i + 1].contains("Trying to open gateway for unseen checkpoint");
            if (!race) errors.add(lines[i]);
        }
        return errors;
    }

    static List<String> trainArgs(String name, Path checkpoints) {
        return List.of("train", "--bootstrap", kafka.bootstrapServers(),
                "--topic", "samples-" + name, "--snapshot-topic", "snapshots-" + name, "--dlq-topic", "dlq-" + name,
                "--model-id", name, "--checkpoint-dir", checkpoints.toString(), "--checkpoint-interval", "1s",
                "--batch-size", Integer.toString(BATCH), "--queue-size", "1024",
                "--snapshot-every", Integer.toString(EVERY), "--max-samples", Long.toString(BUDGET));
    }

    @Test
    void killedTrainProcessResumesFromItsCheckpointDirectory() throws Exception {
        String name = "kill";
        prepareTopics(name);
        Path checkpoints = tmp.resolve("ckpt-" + name);

        Process first = start(trainArgs(name, checkpoints), tmp.resolve("first.log"));
        // Killed between checkpoints: dead letters of records after the last checkpoint are in an
        // open transaction, which the restored job aborts before it writes them again.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (committed("snapshots-" + name).size() < 4 && System.nanoTime() < deadline) {
            assertThat(first.isAlive()).as(Files.readString(tmp.resolve("first.log"))).isTrue();
            Thread.sleep(500);
        }
        first.destroyForcibly(); // SIGKILL: no savepoint, no clean shutdown
        first.waitFor();
        long stepsBeforeKill = committed("snapshots-" + name).size();
        assertThat(stepsBeforeKill).isBetween(4L, (BUDGET / BATCH / EVERY) - 1);

        Process second = start(trainArgs(name, checkpoints), tmp.resolve("second.log"));
        assertThat(second.waitFor(4, TimeUnit.MINUTES)).isTrue();
        String log = Files.readString(tmp.resolve("second.log"));
        assertThat(second.exitValue()).as(log).isZero();
        assertThat(log).contains("Resuming from");

        assertContiguousVersionsFromOne(committed("snapshots-" + name));
        assertEachGarbageRecordOnceInTheDeadLetters(name);
        assertThat(log).as("a restore logs no ERROR").doesNotContain(" ERROR ");
    }

    /**
     * Every garbage record among the samples trained on is a dead letter exactly once
     * (read_committed), although the restored job decoded again what followed its checkpoint.
     */
    static void assertEachGarbageRecordOnceInTheDeadLetters(String name) throws Exception {
        long atLeast = BUDGET / GARBAGE_EVERY;
        List<DeadLetter> dead = new ArrayList<>();
        for (var r : TrainJobITCase.readAllCommitted(kafka.bootstrapServers(), "dlq-" + name)) {
            dead.add(DeadLetter.getDecoder().decode(r.value()));
        }
        assertThat(dead.size()).isGreaterThanOrEqualTo((int) atLeast);
        assertThat(dead).extracting(d -> new String(d.getKey().array())).allMatch(k -> k.startsWith("bad/"))
                .doesNotHaveDuplicates();
        assertThat(dead).extracting(DeadLetter::getOffset).doesNotHaveDuplicates();
    }

    /**
     * With steps on the task thread and with overlapped steps (a step in flight at most barriers,
     * finished before the barrier goes downstream): after the lost TaskManager, versions go on
     * from the checkpoint with no gap and no repeat.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void lostTaskManagerRestartsFromTheLastCheckpoint(boolean overlap, @InjectMiniCluster MiniCluster cluster) throws Exception {
        String name = overlap ? "tm-overlap" : "tm";
        prepareTopics(name);
        List<String> argv = new ArrayList<>(trainArgs(name, tmp.resolve("ckpt-" + name)));
        argv.addAll(List.of("-D", "kontrast.trainer.overlap=" + overlap));
        Configuration conf = TrainCommand.configuration(
                TrainCommand.args().parse(argv.subList(1, argv.size()).toArray(String[]::new)));
        FlinkSetup.apply(conf, tmp.resolve("ckpt-" + name), conf.get(KontrastOptions.CHECKPOINT_INTERVAL));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        TrainJob.kafka(conf).build(env);
        JobClient client = env.executeAsync("failover-" + name);

        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (committed("snapshots-" + name).size() < 4 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        // The cluster is shared: each run loses the TaskManager that the run before started.
        cluster.terminateTaskManager(liveTaskManager).get();
        cluster.startTaskManager();
        liveTaskManager++;

        var outcome = new JobRunner(System.out, Duration.ofSeconds(10)).watch(client, BUDGET, Duration.ofMinutes(4));
        assertThat(outcome.samplesSeen()).isEqualTo(BUDGET);
        assertThat(cluster.getArchivedExecutionGraph(client.getJobID()).get().getFailureInfo())
                .as("the job saw the TaskManager failure").isNotNull();
        assertContiguousVersionsFromOne(committed("snapshots-" + name));
    }

    static Process start(List<String> args, Path log) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        // The product's logging (log4j2.properties), not the tests' quieter one: these runs check what users see.
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx2g", "-Dlog4j2.configurationFile=log4j2.properties"));
        cmd.addAll(KontrastCli.JVM_FLAGS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KontrastCli.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.environment().put("OMP_NUM_THREADS", "2");
        pb.environment().put("KONTRAST_CHILD", "1");
        return pb.start();
    }
}
