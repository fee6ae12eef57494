package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs the README's demo command, shortened, exactly as a user would. */
class DemoCommandITCase {
    @Test
    void demoTrainsAndCommitsSnapshotsWithinItsDuration() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = KontrastCli.run(new String[] {
                "demo", "--duration", "30s", "--dataset", "synthetic", "--web-port", "0", "--snapshot-every", "20"},
                new PrintStream(out, true), System.err);
        String log = out.toString();
        assertThat(exit).as(log).isZero();
        assertThat(log).contains("Kafka broker at 127.0.0.1:").contains("Flink web UI:");
        assertThat(log).containsPattern("\\] RUNNING samples=\\d+ \\(\\d+/s\\) step=\\d+ loss=\\d");
        Matcher m = Pattern.compile("Trained on (\\d+) samples in (\\d+) steps; (\\d+) snapshots committed").matcher(log);
        assertThat(m.find()).as(log).isTrue();
        assertThat(Long.parseLong(m.group(2))).isGreaterThanOrEqualTo(20);
        assertThat(Integer.parseInt(m.group(3))).isGreaterThanOrEqualTo(1);
    }
}
