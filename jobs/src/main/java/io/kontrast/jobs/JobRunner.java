package io.kontrast.jobs;

import io.kontrast.operators.train.MocoTrainerOperator;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs a job and watches it: prints a progress line every {@code progressEvery}, and stops the job
 * with a savepoint (which commits what its transactional sinks wrote) once it has handled {@code
 * maxSamples} samples (the accumulator {@code countAccumulator}) or run for {@code duration}.
 */
public final class JobRunner {
    /** What the run ended with. */
    public record Outcome(JobStatus status, long samplesSeen, long step, long version, String savepoint) {}

    private final PrintStream out;
    private final Duration progressEvery;
    private final String countAccumulator;

    /** A runner for the training job: counts samples trained on. */
    public JobRunner(PrintStream out, Duration progressEvery) {
        this(out, progressEvery, MocoTrainerOperator.SAMPLES_SEEN_ACCUMULATOR);
    }

    public JobRunner(PrintStream out, Duration progressEvery, String countAccumulator) {
        this.out = out;
        this.progressEvery = progressEvery;
        this.countAccumulator = countAccumulator;
    }

    public Outcome run(StreamExecutionEnvironment env, String jobName, long maxSamples, Duration duration)
            throws Exception {
        JobClient client = env.executeAsync(jobName);
        out.println("Job " + client.getJobID() + " started (" + jobName + ").");
        Thread hook = new Thread(() -> stop(client));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return watch(client, maxSamples, duration);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }

    /** Watches a submitted job until it ends, or until the sample budget or duration is reached. */
    public Outcome watch(JobClient client, long maxSamples, Duration duration) throws Exception {
        long start = System.nanoTime();
        long lastPrint = start;
        long lastSamples = 0;
        long[] progress = new long[3];
        while (true) {
            JobStatus status = client.getJobStatus().get(30, TimeUnit.SECONDS);
            if (status.isGloballyTerminalState()) {
                if (status == JobStatus.FAILED) {
                    client.getJobExecutionResult().get(); // throws the failure cause
                }
                return new Outcome(status, progress[0], progress[1], progress[2], null);
            }
            double loss = Double.NaN;
            double knn = Double.NaN;
            double headAccuracy = Double.NaN;
            if (status == JobStatus.RUNNING) {
                Map<String, Object> acc = client.getAccumulators().get(30, TimeUnit.SECONDS);
                progress[0] = asLong(acc.get(countAccumulator));
                progress[1] = asLong(acc.get(MocoTrainerOperator.STEP_ACCUMULATOR));
                progress[2] = asLong(acc.get(MocoTrainerOperator.VERSION_ACCUMULATOR));
                Object l = acc.get(MocoTrainerOperator.LOSS_ACCUMULATOR);
                loss = l instanceof Number n ? n.doubleValue() : Double.NaN;
                Object k = acc.get(MocoTrainerOperator.KNN_ACCUMULATOR);
                knn = k instanceof Number n ? n.doubleValue() : Double.NaN;
                Object h = acc.get(MocoTrainerOperator.HEAD_ACCURACY_ACCUMULATOR);
                headAccuracy = h instanceof Number n ? n.doubleValue() : Double.NaN;
            }
            long now = System.nanoTime();
            if (now - lastPrint >= progressEvery.toNanos()) {
                double secs = (now - lastPrint) / 1e9;
                out.printf(Locale.ROOT, "[%5.0fs] %s samples=%d (%.0f/s) step=%d loss=%.4f snapshot=v%d%s%s%n",
                        (now - start) / 1e9, status, progress[0], Math.max(0, progress[0] - lastSamples) / secs,
                        progress[1], loss, progress[2],
                        Double.isNaN(headAccuracy) ? "" : String.format(Locale.ROOT, " head-accuracy=%.3f", headAccuracy),
                        Double.isNaN(knn) ? "" : String.format(Locale.ROOT, " probe-knn200=%.3f", knn));
                lastPrint = now;
                lastSamples = progress[0];
            }
            boolean enough = maxSamples > 0 && progress[0] >= maxSamples;
            boolean timeUp = duration != null && !duration.isZero() && now - start >= duration.toNanos();
            if (enough || timeUp) {
                out.println(enough ? "Done with " + progress[0] + " samples; stopping with a savepoint."
                        : "Duration reached; stopping with a savepoint.");
                String savepoint = stopWithSavepoint(client, Duration.ofMinutes(5));
                out.println(savepoint == null ? "The job ended before the stop." : "Savepoint: " + savepoint);
                return new Outcome(JobStatus.FINISHED, progress[0], progress[1], progress[2], savepoint);
            }
            Thread.sleep(500);
        }
    }

    private void stop(JobClient client) {
        try {
            JobStatus s = client.getJobStatus().get(5, TimeUnit.SECONDS);
            if (!s.isGloballyTerminalState()) {
                out.println("Stopping with a savepoint...");
                out.println("Savepoint: " + stopWithSavepoint(client, Duration.ofMinutes(2)));
            }
        } catch (Exception e) {
            out.println("Could not stop with a savepoint (" + e.getMessage() + "); the last checkpoint is retained.");
        }
    }

    /**
     * Stops the job with a savepoint, which commits what its transactional sinks wrote. A stop
     * can be refused while the job is not wholly running: its tasks are still being deployed
     * (right after a start or a restore, when the budget is reached at once) or it is restarting
     * after a failure (a broker outage). The job then goes on, so the stop is tried again every
     * second until it succeeds or {@code timeout} has passed; returns the savepoint's path, or
     * null when the job ended by itself meanwhile.
     */
    String stopWithSavepoint(JobClient client, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int refused = 0;
        while (true) {
            try {
                String savepoint = client.stopWithSavepoint(false, null, SavepointFormatType.CANONICAL)
                        .get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                if (refused > 0) out.println("The stop succeeded after " + refused + " refusal(s).");
                return savepoint;
            } catch (ExecutionException e) {
                JobStatus status = client.getJobStatus().get(30, TimeUnit.SECONDS);
                if (status.isGloballyTerminalState()) {
                    if (status == JobStatus.FAILED) client.getJobExecutionResult().get();
                    return null;
                }
                if (System.nanoTime() > deadline) throw e;
                if (refused++ == 0) {
                    out.println("The stop was refused (" + rootMessage(e) + "); the job is " + status
                            + ", trying again every second.");
                }
                Thread.sleep(1000);
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private static long asLong(Object o) {
        return o instanceof Number n ? Math.max(0L, n.longValue()) : 0L; // LongMaximum starts at Long.MIN_VALUE
    }
}
