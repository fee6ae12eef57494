package io.kontrast.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArgsTest {
    static Args args() {
        return new Args("try", "Tries things.")
                .opt("bootstrap", "servers", "localhost:9092", "Kafka bootstrap servers")
                .opt("batch-size", "n", "128", "samples per step")
                .opt("kafka-config", "file", null, "client settings")
                .flag("fresh", "start over")
                .environment(Map.of());
    }

    @Test
    void optionsInEitherFormFlagsAndProperties() {
        Args a = args().parse(new String[] {"--bootstrap", "b:1", "--batch-size=64", "--fresh", "-D", "k.a=1", "-Dk.b=2"});
        assertThat(a.get("bootstrap")).isEqualTo("b:1");
        assertThat(a.getInt("batch-size", 2, 1000)).isEqualTo(64);
        assertThat(a.flag("fresh")).isTrue();
        assertThat(a.properties()).containsExactly("k.a=1", "k.b=2");
        assertThat(a.has("kafka-config")).isFalse();
        assertThat(a.get("kafka-config")).isNull();
        // The last of a repeated option wins.
        assertThat(args().parse(new String[] {"--batch-size", "8", "--batch-size", "16"}).get("batch-size")).isEqualTo("16");
    }

    @Test
    void argumentsFromAFile(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("train.args");
        Files.writeString(file, "--bootstrap\nbroker:9093\n--batch-size\n256\n-D\nkontrast.seed=3\n");
        Args a = args().parse(new String[] {"@" + file, "--fresh"});
        assertThat(a.get("bootstrap")).isEqualTo("broker:9093");
        assertThat(a.get("batch-size")).isEqualTo("256");
        assertThat(a.properties()).containsExactly("kontrast.seed=3");
        assertThat(a.flag("fresh")).isTrue();
    }

    @Test
    void theEnvironmentGivesDefaultsTheCommandLineOverrides() {
        Map<String, String> env = Map.of("KONTRAST_BOOTSTRAP", "env:9092", "KONTRAST_BATCH_SIZE", "32", "KONTRAST_FRESH", "true");
        Args a = args().environment(env).parse(new String[] {"--batch-size", "64"});
        assertThat(a.get("bootstrap")).isEqualTo("env:9092");
        assertThat(a.has("bootstrap")).isTrue();
        assertThat(a.get("batch-size")).isEqualTo("64");
        assertThat(a.flag("fresh")).isTrue();
        assertThat(args().environment(Map.of("KONTRAST_FRESH", "false")).parse(new String[0]).flag("fresh")).isFalse();
        assertThatThrownBy(() -> args().environment(Map.of("KONTRAST_FRESH", "yes")).parse(new String[0]))
                .hasMessageContaining("KONTRAST_FRESH").hasMessageContaining("--fresh");
        assertThat(Args.environmentName("kafka-config")).isEqualTo("KONTRAST_KAFKA_CONFIG");
    }

    @Test
    void mistakesNameTheOption() {
        assertThatThrownBy(() -> args().parse(new String[] {"--bogus", "1"})).isInstanceOf(UsageException.class)
                .hasMessageContaining("--bogus").hasMessageContaining("try --help");
        assertThatThrownBy(() -> args().parse(new String[] {"--bootstrap"})).hasMessageContaining("--bootstrap");
        assertThatThrownBy(() -> args().parse(new String[] {"stray"})).hasMessageContaining("stray");
        assertThatThrownBy(() -> args().parse(new String[] {"-D", "novalue"})).hasMessageContaining("-D needs key=value");
        assertThatThrownBy(() -> args().parse(new String[] {"--batch-size", "x"}).getInt("batch-size", 2, 10))
                .hasMessageContaining("--batch-size");
    }

    @Test
    void helpIsGeneratedFromTheDeclaredOptions() {
        Args a = args().parse(new String[] {"--help"});
        assertThat(a.help()).isTrue();
        assertThat(a.usage()).startsWith("Usage: kontrast try").contains("Tries things.", "--bootstrap=<servers>",
                "(default: localhost:9092)", "--fresh", "-D=<key=value>", "KONTRAST_BOOTSTRAP", "@FILE");
    }
}
