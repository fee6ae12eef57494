package io.kontrast.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;

/**
 * The Flink settings every Kontrast job runs with: RocksDB with incremental checkpoints retained
 * on cancellation, exactly-once checkpoints, no silent Kryo fallback, ND4J loaded parent-first,
 * and restarts on failure. Values the user set (with {@code -D}) win.
 */
public final class FlinkSetup {
    public static final String SAVEPOINTS_SUBDIR = "savepoints";

    private FlinkSetup() {}

    public static void apply(Configuration conf, Path checkpointDir, Duration checkpointInterval) {
        apply(conf, checkpointDir.toString(), checkpointInterval);
    }

    /** {@code checkpointLocation}: a local path, or a URI such as {@code s3://bucket/kontrast}. */
    public static void apply(Configuration conf, String checkpointLocation, Duration checkpointInterval) {
        String base = toUri(checkpointLocation);
        setDefault(conf, StateBackendOptions.STATE_BACKEND, "rocksdb");
        setDefault(conf, CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        setDefault(conf, CheckpointingOptions.CHECKPOINTING_INTERVAL, checkpointInterval);
        setDefault(conf, CheckpointingOptions.CHECKPOINTS_DIRECTORY, base);
        setDefault(conf, CheckpointingOptions.SAVEPOINT_DIRECTORY,
                (base.endsWith("/") ? base : base + "/") + SAVEPOINTS_SUBDIR);
        setDefault(conf, CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        setDefault(conf, CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 3);
        setDefault(conf, PipelineOptions.GENERIC_TYPES, false);
        setDefault(conf, CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL, List.of("org.nd4j.", "org.bytedeco."));
        setDefault(conf, RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        setDefault(conf, RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, Integer.MAX_VALUE);
        setDefault(conf, RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(2));
        // Accumulators (progress, --max-samples) travel with heartbeats.
        setDefault(conf, HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(1));
        setDefault(conf, TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("256m"));
        setDefault(conf, TaskManagerOptions.NUM_TASK_SLOTS, 4);
    }

    static String toUri(String location) {
        return location.contains("://") ? location : Path.of(location).toAbsolutePath().toUri().toString();
    }

    private static <T> void setDefault(Configuration conf, org.apache.flink.configuration.ConfigOption<T> o, T v) {
        if (!conf.contains(o)) {
            conf.set(o, v);
        }
    }

    public static void restoreFrom(Configuration conf, String path) {
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, path);
    }

    /**
     * The newest retained checkpoint or savepoint under a checkpoint directory (any job id), by
     * the time its {@code _metadata} was written.
     */
    public static Optional<Path> newestRestorePoint(Path checkpointDir) throws IOException {
        if (!Files.isDirectory(checkpointDir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.find(checkpointDir, 3,
                (p, a) -> a.isRegularFile() && p.getFileName().toString().equals("_metadata"))) {
            return files.max((a, b) -> {
                        try {
                            return Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b));
                        } catch (IOException e) {
                            return 0;
                        }
                    })
                    .map(Path::getParent);
        }
    }
}
