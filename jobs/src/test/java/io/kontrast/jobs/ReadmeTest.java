package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.operators.KontrastOptions;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
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
        for (String c : new String[] {"demo", "kafka", "replay", "train", "embed", "evaluate", "bench"}) {
            assertThat(README).contains("| `" + c + "` |");
            assertThat(KontrastCli.USAGE).contains("  " + c + " ");
        }
        String firstBlock = README.substring(README.indexOf("```bash"), README.indexOf("```", README.indexOf("```bash") + 7));
        assertThat(firstBlock).contains("./scripts/demo.sh").contains("./scripts/test.sh");
        assertThat(Files.isExecutable(Path.of(System.getProperty("kontrast.root")).resolve("scripts/demo.sh"))).isTrue();
    }
}
