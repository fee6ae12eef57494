package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.operators.KontrastOptions;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import io.kontrast.jobs.cli.Args;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

/** The README's configuration table and command list stay in step with the code. */
class ReadmeTest {
    static final String README;

    static {
        try {
            README = Files.readString(Path.of(System.getProperty("kontrast.root")).resolve("README.md"));
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Test
    void everyOptionHasARowInTheConfigurationTable() throws Exception {
        for (Field f : KontrastOptions.class.getFields()) {
            ConfigOption<?> o = (ConfigOption<?>) f.get(null);
            assertThat(README).as("README row for %s", o.key()).contains("| `" + o.key() + "` |");
        }
    }

    @Test
    void everyCommandIsDocumentedAndTheTwoCommandsComeFirst() {
        for (String c : new String[] {"demo", "kafka", "replay", "train", "embed", "evaluate", "export", "checkpoints", "report", "bench", "stats"}) {
            assertThat(README).contains("| `" + c + "` |");
            assertThat(KontrastCli.USAGE).contains("  " + c + " ");
        }
        String firstBlock = README.substring(README.indexOf("```bash"), README.indexOf("```", README.indexOf("```bash") + 7));
        assertThat(firstBlock).contains("./scripts/demo.sh").contains("./scripts/test.sh");
        assertThat(Files.isExecutable(Path.of(System.getProperty("kontrast.root")).resolve("scripts/demo.sh"))).isTrue();
    }

    /**
     * Every command line shown in the README, in docs/ and in k8s/README.md (after {@code
     * kontrast.jar}, or an inline {@code `<command> --...`}) parses with that command's options,
     * and every {@code -D kontrast.*} key in it is a real option. Lines with placeholders ("…",
     * "[...]", "<...>", "a|b") are left out.
     */
    @Test
    void everyCommandLineShownInTheDocsParses() throws Exception {
        Path root = Path.of(System.getProperty("kontrast.root"));
        List<Path> files = new java.util.ArrayList<>(List.of(root.resolve("README.md"), root.resolve("k8s/README.md")));
        try (var docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        java.util.Set<String> known = new java.util.HashSet<>();
        for (Field f : KontrastOptions.class.getFields()) known.add(((ConfigOption<?>) f.get(null)).key());
        String commands = "demo|kafka|replay|train|embed|evaluate|bench|export|checkpoints|report|stats";
        java.util.regex.Pattern afterJar = java.util.regex.Pattern.compile("kontrast\\.jar\\s+(" + commands + ")\\b([^`]*)");
        java.util.regex.Pattern inline = java.util.regex.Pattern.compile("`(" + commands + ")(\\s+-[^`]*)`");
        int checked = 0;
        for (Path file : files) {
            String text = Files.readString(file).replace("\\\n", " ");
            List<String[]> lines = new java.util.ArrayList<>();
            for (String line : text.split("\n")) {
                var m = afterJar.matcher(line);
                while (m.find()) lines.add(new String[] {m.group(1), m.group(2)});
                // An inline `<command> --option ...` may name options without their values: each
                // option it names must be one the command declares.
                var n = inline.matcher(line);
                while (n.find()) {
                    Args a = KontrastCli.args(n.group(1));
                    for (String t : n.group(2).trim().split("\\s+")) {
                        if (t.startsWith("--") && !t.equals("--help")) {
                            assertThat(a.declares(t.substring(2).replaceAll("[=\\]].*", "")))
                                    .as("%s: `%s%s` names --%s", file.getFileName(), n.group(1), n.group(2), t).isTrue();
                        }
                    }
                    checked++;
                }
            }
            for (String[] l : lines) {
                String rest = l[1].split("[&|;>#)]", 2)[0].trim();
                if (rest.contains("…") || rest.contains("...") || rest.contains("[") || rest.contains("<") || l[1].contains("\\|")) continue;
                String[] tokens = rest.isEmpty() ? new String[0] : rest.replace("\"", "").split("\\s+");
                Args a = KontrastCli.args(l[0]).environment(java.util.Map.of());
                try {
                    a.parse(tokens);
                } catch (RuntimeException e) {
                    throw new AssertionError(file.getFileName() + ": `" + l[0] + " " + rest + "`: " + e.getMessage(), e);
                }
                for (String kv : a.properties()) {
                    String key = kv.substring(0, kv.indexOf('='));
                    if (key.startsWith("kontrast.") && !key.startsWith("kontrast.kafka.properties.")) {
                        assertThat(known).as("%s: -D %s", file.getFileName(), key).contains(key);
                    }
                }
                checked++;
            }
        }
        assertThat(checked).as("command lines checked").isGreaterThan(20);
    }

    /** Every option a docs line gives the Python consumer is one its --help lists. */
    @Test
    void everyPythonConsumerLineShownInTheDocsNamesItsOptions() throws Exception {
        Path root = Path.of(System.getProperty("kontrast.root"));
        Path script = root.resolve("clients/python/kontrast_snapshot.py");
        Process p = new ProcessBuilder(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3",
                script.toString(), "--help").redirectErrorStream(true).start();
        String help = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(help).isZero();
        List<Path> files = new java.util.ArrayList<>(List.of(root.resolve("README.md"), root.resolve("clients/python/README.md")));
        int checked = 0;
        for (Path file : files) {
            if (!Files.exists(file)) continue;
            for (String line : Files.readString(file).split("\n")) {
                int at = line.indexOf("kontrast_snapshot.py ");
                if (at < 0 || line.contains("…")) continue;
                for (String t : line.substring(at).split("[`#]", 2)[0].split("\\s+")) {
                    if (t.startsWith("--")) {
                        assertThat(help).as("%s: %s", file.getFileName(), line).contains(t.replaceAll("[=,].*", ""));
                    }
                }
                checked++;
            }
        }
        assertThat(checked).isPositive();
    }
}
