package io.kontrast.jobs;

import io.kontrast.client.OnnxExport;
import io.kontrast.client.SnapshotCodecs;
import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * {@code export}: writes one encoder snapshot to a file, as an ONNX model of its backbone (for
 * ONNX Runtime and the other ONNX consumers) or as the snapshot record itself.
 */
final class ExportCommand {
    private ExportCommand() {}

    static Args args() {
        return new Args("export", "Writes an encoder snapshot to a file: its backbone as an ONNX model, or the snapshot record.")
                .opt("snapshot-file", "path", null, "a snapshot record (single-object encoded) to export")
                .opt("bootstrap", "servers", null, "export a committed snapshot from a topic")
                .opt("kafka-config", "file", null, KafkaCli.CONFIG_HELP)
                .opt("topic", "name", "encoder-snapshots", "snapshot topic, with --bootstrap")
                .opt("model-id", "id", null, "with --bootstrap: a snapshot of this model (default: the model published last)")
                .opt("version", "n", null, "with --bootstrap: this version (default: the newest)")
                .opt("format", "onnx|snapshot", "onnx", "onnx: pixels [batch, C, H, W] in 0..1 -> embedding [batch, D]; snapshot: the Avro record")
                .opt("out", "path", null, "the file to write (required)");
    }

    static int run(Args a, PrintStream out) throws Exception {
        String format = a.choice("format", "onnx", "snapshot");
        if (!a.has("out")) throw new UsageException("--out is required");
        if (a.has("snapshot-file") == a.has("bootstrap")) {
            throw new UsageException("give exactly one of --snapshot-file and --bootstrap");
        }
        if (a.has("version") && !a.has("bootstrap")) throw new UsageException("--version needs --bootstrap");
        EncoderSnapshot s;
        if (a.has("snapshot-file")) {
            s = SnapshotCodecs.decode(Files.readAllBytes(a.path("snapshot-file")));
        } else if (a.has("version")) {
            long version = a.getLong("version", 1);
            String modelId = a.has("model-id") ? a.get("model-id") : null;
            List<EncoderSnapshot> all = SnapshotTopicReader.readAll(KafkaCli.client(a), a.get("topic"), Duration.ofSeconds(60));
            s = all.stream()
                    .filter(x -> x.getVersion() == version && (modelId == null || x.getModelId().toString().equals(modelId)))
                    .reduce((x, y) -> y.getCreatedAt().isAfter(x.getCreatedAt()) ? y : x)
                    .orElseThrow(() -> new UsageException("no committed snapshot with version " + version
                            + (modelId == null ? "" : " of model " + modelId) + " on " + a.get("topic")));
        } else {
            s = EvaluateCommand.newest(KafkaCli.client(a), a.get("topic"), a.has("model-id") ? a.get("model-id") : null);
        }
        byte[] bytes;
        if (format.equals("onnx")) {
            bytes = OnnxExport.toOnnx(s);
        } else {
            ByteBuffer wire = EncoderSnapshot.getEncoder().encode(s);
            bytes = new byte[wire.remaining()];
            wire.get(bytes);
        }
        Path target = a.path("out");
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, target.getFileName().toString(), ".part");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        out.printf("{\"model_id\": \"%s\", \"version\": %d, \"format\": \"%s\", \"embedding_dim\": %d, \"input_shape\": %s, \"bytes\": %d, \"out\": \"%s\"}%n",
                s.getModelId(), s.getVersion(), format, s.getEmbeddingDim(), s.getInputShape(), bytes.length, target);
        return 0;
    }
}
