package io.kontrast.jobs;

import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.math.Nd4jRuntime;
import java.io.File;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code kontrast} command line: {@code java -jar kontrast.jar <command> [options]}.
 *
 * <p>ND4J's OpenMP threads must wait passively or they fight OpenBLAS for the cores, and
 * OpenBLAS's threads should not spin between GEMMs; both are only settable through the
 * environment before the process starts. So when {@code OMP_WAIT_POLICY} is unset, the CLI runs
 * itself again in a child JVM with {@code OMP_WAIT_POLICY=PASSIVE} and (unless set) {@code
 * OPENBLAS_THREAD_TIMEOUT=4} (and the JVM flags Flink needs on Java 17), forwarding its exit
 * status and signals.
 */
public final class KontrastCli {
    static final String USAGE = """
            Usage: java -jar kontrast.jar <command> [options]

            Commands:
              bench       trainer speed against the machine's GEMM ceiling, and the whole pipeline
              checkpoints the checkpoints and savepoints under a checkpoint directory, with their sizes
              demo        broker, replay and training in one process, with Flink's web UI
              embed       embed samples with the newest encoder snapshot (switches versions live)
              evaluate    score a snapshot: kNN and linear-probe accuracy on a labeled dataset
              export      write a snapshot to a file: its backbone as an ONNX model, or the record
              kafka       a single-node Kafka broker (KRaft) on loopback
              replay      produce a dataset into a topic as Avro Samples
              report      an HTML page of a model's learning curves and a map of its embeddings
              stats       per-channel mean and std of a dataset, for train --input-stats
              train       the contrastive training job (local MiniCluster, or a cluster with flink run)

            Run 'kontrast <command> --help' for a command's options.
            """;

    static final List<String> JVM_FLAGS = List.of(
            // The trainer's fused optimizer pass (the learner falls back to BLAS without it).
            "--add-modules=jdk.incubator.vector",
            // The heap on 2 MB pages where the kernel offers them on request, and touched when it
            // is committed (at start and as it grows) rather than by the first allocation: with
            // 4 KB pages faulting on first touch, decoding (a few KB allocated per record) at
            // times ran 20 times slower for seconds.
            "-XX:+UseTransparentHugePages",
            "-XX:+AlwaysPreTouch",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED");

    private KontrastCli() {}

    public static void main(String[] argv) throws Exception {
        if (System.getenv("OMP_WAIT_POLICY") == null && System.getenv("KONTRAST_CHILD") == null) {
            System.exit(relaunch(argv));
        }
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs a command; returns the exit status (2 for bad arguments). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        Nd4jRuntime.init();
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            (argv.length == 0 ? err : out).print(USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        String command = argv[0];
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        try {
            Args a = args(command);
            a.parse(rest);
            if (a.help()) {
                out.print(a.usage());
                return 0;
            }
            return switch (command) {
                case "bench" -> BenchCommand.run(a, out);
                case "checkpoints" -> CheckpointsCommand.run(a, out);
                case "demo" -> DemoCommand.run(a, out);
                case "embed" -> EmbedCommand.run(a, out);
                case "evaluate" -> EvaluateCommand.run(a, out);
                case "export" -> ExportCommand.run(a, out);
                case "kafka" -> KafkaCommand.run(a, out);
                case "replay" -> ReplayCommand.run(a, out);
                case "report" -> ReportCommand.run(a, out);
                case "stats" -> StatsCommand.run(a, out);
                default -> TrainCommand.run(a, out);
            };
        } catch (UsageException e) {
            err.println("kontrast " + command + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("kontrast " + command + " failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /** The options of {@code command}, declared and not yet parsed. */
    static Args args(String command) {
        return switch (command) {
            case "bench" -> BenchCommand.args();
            case "checkpoints" -> CheckpointsCommand.args();
            case "demo" -> DemoCommand.args();
            case "embed" -> EmbedCommand.args();
            case "evaluate" -> EvaluateCommand.args();
            case "export" -> ExportCommand.args();
            case "kafka" -> KafkaCommand.args();
            case "replay" -> ReplayCommand.args();
            case "report" -> ReportCommand.args();
            case "stats" -> StatsCommand.args();
            case "train" -> TrainCommand.args();
            default -> throw new UsageException("unknown command '" + command + "'\n\n" + USAGE);
        };
    }

    private static int relaunch(String[] argv) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(JVM_FLAGS);
        // The user's own JVM options come after, so that they win (-XX:-UseTransparentHugePages).
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(KontrastCli.class.getName());
        cmd.addAll(Arrays.asList(argv));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        // OpenBLAS's threads spin for 2^28 cycles (about 0.1 s) after each GEMM before they
        // sleep; inside the job that spinning takes the cores from the source, decoding, views,
        // Kafka and ND4J's own threads between GEMMs. 2^4 cycles: they sleep at once.
        pb.environment().putIfAbsent("OPENBLAS_THREAD_TIMEOUT", "4");
        pb.environment().putIfAbsent("OMP_NUM_THREADS", Integer.toString(Runtime.getRuntime().availableProcessors()));
        pb.environment().put("KONTRAST_CHILD", "1");
        Process child = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (child.isAlive()) {
                child.destroy(); // SIGTERM: the child stops cleanly
                try {
                    child.waitFor();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
        return child.waitFor();
    }
}
