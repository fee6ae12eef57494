package io.kontrast.jobs;

import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.streaming.api.graph.StreamGraphHasherV2;

/**
 * {@code checkpoints}: the restore points retained under a checkpoint directory (checkpoints of
 * any job and savepoints), oldest first, each with its full state size and what it wrote itself
 * (with incremental RocksDB checkpoints, the files that were new at that checkpoint), per operator
 * of the train and embed jobs. The newest is the one {@code train} resumes from.
 */
final class CheckpointsCommand {
    /** The operator uids of Kontrast's jobs, to name what a checkpoint holds. */
    static final List<String> UIDS = List.of("samples-source", "decode", "dead-letters-sink", "moco-trainer",
            "snapshots-sink", "embed-samples-source", "embed-decode", "embed-dead-letters-sink",
            "embed-snapshots-source", "embed", "embeddings-sink");

    private CheckpointsCommand() {}

    static Args args() {
        return new Args("checkpoints", "Lists the checkpoints and savepoints retained under a checkpoint directory, "
                + "with their state sizes.")
                .opt("checkpoint-dir", "path", null, "the directory train writes to (required)")
                .flag("json", "one JSON object per restore point in place of the table");
    }

    /** One retained checkpoint or savepoint. */
    record RestorePoint(Path dir, boolean savepoint, long id, Instant written, long stateBytes, long writtenBytes,
            Map<String, long[]> operators) {}

    static int run(Args a, PrintStream out) throws Exception {
        if (!a.has("checkpoint-dir")) throw new UsageException("--checkpoint-dir is required");
        Path base = a.path("checkpoint-dir");
        if (!Files.isDirectory(base)) throw new UsageException("--checkpoint-dir " + base + " is not a directory");
        List<RestorePoint> points = list(base);
        if (a.flag("json")) {
            for (RestorePoint p : points) out.println(json(base, p));
            return 0;
        }
        if (points.isEmpty()) {
            out.println("No checkpoint or savepoint under " + base + ".");
            return 0;
        }
        out.printf(Locale.ROOT, "%-64s %8s  %-20s %12s %12s%n", "restore point", "id", "written (UTC)", "state",
                "it wrote");
        for (RestorePoint p : points) {
            out.printf(Locale.ROOT, "%-64s %8s  %-20s %12s %12s%s%n", base.relativize(p.dir()),
                    p.savepoint() ? "-" : Long.toString(p.id()), p.written().toString().substring(0, 19),
                    bytes(p.stateBytes()), bytes(p.writtenBytes()), p == points.get(points.size() - 1) ? "  <- newest" : "");
            for (var e : p.operators().entrySet()) {
                if (e.getValue()[0] == 0) continue;
                out.printf(Locale.ROOT, "    %-60s %8s  %-20s %12s %12s%n", e.getKey(), "", "", bytes(e.getValue()[0]),
                        bytes(e.getValue()[1]));
            }
        }
        return 0;
    }

    /** The restore points under {@code base}, oldest first. */
    static List<RestorePoint> list(Path base) throws IOException {
        List<Path> metadata = new ArrayList<>();
        // A running job adds and deletes checkpoints as we walk: what goes away is not listed.
        Files.walkFileTree(base, java.util.Set.of(), 3, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && file.getFileName().toString().equals("_metadata")) metadata.add(file);
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
        Map<OperatorID, String> names = new LinkedHashMap<>();
        for (String uid : UIDS) {
            names.put(new OperatorID(StreamGraphHasherV2.generateUserSpecifiedHash(uid)), uid);
            // A sink's committer, which Flink gives a uid of its own after the sink's.
            String committer = "Sink Committer: " + uid;
            names.put(new OperatorID(StreamGraphHasherV2.generateUserSpecifiedHash(committer)), uid + " (committer)");
        }
        List<RestorePoint> out = new ArrayList<>();
        for (Path m : metadata) {
            Optional<RestorePoint> p = read(m, names);
            p.ifPresent(out::add);
        }
        out.sort(Comparator.comparing(RestorePoint::written).thenComparingLong(RestorePoint::id));
        return out;
    }

    private static Optional<RestorePoint> read(Path metadataFile, Map<OperatorID, String> names) throws IOException {
        Path dir = metadataFile.getParent();
        CheckpointMetadata meta;
        Instant written;
        try (InputStream in = Files.newInputStream(metadataFile); DataInputStream data = new DataInputStream(in)) {
            meta = Checkpoints.loadCheckpointMetadata(data, CheckpointsCommand.class.getClassLoader(),
                    dir.toAbsolutePath().toString());
            written = Files.getLastModifiedTime(metadataFile).toInstant();
        } catch (IOException | RuntimeException e) {
            // A restore point being written or deleted as we read: not listed.
            return Optional.empty();
        }
        boolean savepoint = dir.getParent() != null && dir.getParent().getFileName() != null
                && dir.getParent().getFileName().toString().equals(FlinkSetup.SAVEPOINTS_SUBDIR);
        long state = 0;
        long wrote = 0;
        Map<String, long[]> operators = new LinkedHashMap<>();
        for (OperatorState op : meta.getOperatorStates()) {
            long s = op.getStateSize();
            long w = op.getCheckpointedSize();
            state += s;
            wrote += w;
            String name = names.getOrDefault(op.getOperatorID(), op.getOperatorID().toString());
            long[] sizes = operators.computeIfAbsent(name, k -> new long[2]);
            sizes[0] += s;
            sizes[1] += w;
        }
        return Optional.of(new RestorePoint(dir, savepoint, meta.getCheckpointId(), written, state, wrote, operators));
    }

    private static String json(Path base, RestorePoint p) {
        StringBuilder ops = new StringBuilder();
        for (var e : p.operators().entrySet()) {
            if (ops.length() > 0) ops.append(", ");
            ops.append(String.format(Locale.ROOT, "\"%s\": {\"state_bytes\": %d, \"written_bytes\": %d}", e.getKey(),
                    e.getValue()[0], e.getValue()[1]));
        }
        return String.format(Locale.ROOT,
                "{\"path\": \"%s\", \"kind\": \"%s\", \"id\": %d, \"written\": \"%s\", \"state_bytes\": %d, "
                        + "\"written_bytes\": %d, \"operators\": {%s}}",
                base.relativize(p.dir()), p.savepoint() ? "savepoint" : "checkpoint", p.id(), p.written(),
                p.stateBytes(), p.writtenBytes(), ops);
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    }
}
