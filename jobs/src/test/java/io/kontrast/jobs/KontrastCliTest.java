package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class KontrastCliTest {
    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = KontrastCli.run(args, new PrintStream(out, true), new PrintStream(err, true));
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void everyCommandHasHelp() {
        for (String c : new String[] {"demo", "embed", "kafka", "replay", "train"}) {
            Result r = run(c, "--help");
            assertThat(r.exit()).isZero();
            assertThat(r.out()).startsWith("Usage: kontrast " + c).contains("--");
        }
        assertThat(run("--help").out()).contains("demo", "kafka", "replay", "train");
    }

    @Test
    void badArgumentsExitWithStatusTwoAndNameTheOption() {
        assertThat(run()).extracting(Result::exit).isEqualTo(2);
        Result unknown = run("train", "--bogus", "1");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("--bogus");
        Result notNumber = run("train", "--batch-size", "lots");
        assertThat(notNumber.exit()).isEqualTo(2);
        assertThat(notNumber.err()).contains("--batch-size");
        Result queue = run("train", "--batch-size", "256", "--queue-size", "1000");
        assertThat(queue.exit()).isEqualTo(2);
        assertThat(queue.err()).contains("kontrast.queue.size");
        Result temperature = run("train", "-D", "kontrast.temperature=0");
        assertThat(temperature.exit()).isEqualTo(2);
        assertThat(temperature.err()).contains("kontrast.temperature");
        Result dataset = run("replay", "--dataset", "imagenet");
        assertThat(dataset.exit()).isEqualTo(2);
        assertThat(dataset.err()).contains("--dataset");
        Result missing = run("replay", "--topic");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--topic");
        assertThat(run("fly").exit()).isEqualTo(2);
    }

    @Test
    void unreachableKafkaIsAClearErrorNotAHang() {
        Result r = run("train", "--bootstrap", "127.0.0.1:1", "--fresh");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("cannot reach Kafka at 127.0.0.1:1");
    }
}
