package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.schemas.EncoderSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The broker goes away for a minute in the middle of a run and comes back on the same port with
 * the same data. The training process, left alone, recovers by itself: it ends with exit 0,
 * snapshot versions run 1..N with no gap and no repeat, the last one counts exactly the budget,
 * and each garbage record is a dead letter once.
 */
class BrokerOutageITCase extends WithKafka {
    static final Duration OUTAGE = Duration.ofSeconds(60);

    @Test
    void theJobRidesOutAMinuteWithoutItsBroker() throws Exception {
        String name = "outage";
        FailoverITCase.prepareTopics(name);
        Path logFile = tmp.resolve("train.log");
        Process train = FailoverITCase.start(FailoverITCase.trainArgs(name, tmp.resolve("ckpt-" + name)), logFile);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (FailoverITCase.committed("snapshots-" + name).size() < 2 && System.nanoTime() < deadline) {
            assertThat(train.isAlive()).as(Files.readString(logFile)).isTrue();
            Thread.sleep(200);
        }
        int before = FailoverITCase.committed("snapshots-" + name).size();
        long versions = FailoverITCase.BUDGET / FailoverITCase.BATCH / FailoverITCase.EVERY;
        assertThat((long) before).as("the outage starts mid-run").isBetween(2L, versions - 2);

        kafka.close();
        Thread.sleep(OUTAGE.toMillis());
        assertThat(train.isAlive()).as("the job waits for its broker: %s", Files.readString(logFile)).isTrue();
        kafka.restart();

        boolean ended = train.waitFor(5, TimeUnit.MINUTES);
        if (!ended) {
            keep(logFile);
            train.destroyForcibly().waitFor();
        }
        assertThat(ended).as("the job ends by itself: %s", Files.readString(logFile)).isTrue();
        String log = Files.readString(logFile);
        if (train.exitValue() != 0) keep(logFile);
        assertThat(train.exitValue()).as(log).isZero();
        List<EncoderSnapshot> snapshots = FailoverITCase.committed("snapshots-" + name);
        assertThat(snapshots.size()).isGreaterThan(before);
        FailoverITCase.assertContiguousVersionsFromOne(snapshots);
        FailoverITCase.assertEachGarbageRecordOnceInTheDeadLetters(name);
    }

    /** Keeps a failed run's log where the build leaves its reports: the temporary directory goes. */
    private static void keep(Path logFile) throws java.io.IOException {
        Path kept = Path.of("target", "broker-outage-train.log");
        Files.createDirectories(kept.getParent());
        Files.copy(logFile, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
