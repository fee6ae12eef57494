package io.kontrast.jobs;

import io.kontrast.jobs.kafka.EmbeddedKafka;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** One real broker per test class (it takes seconds to start), in the class's temporary directory. */
abstract class WithKafka {
    @TempDir
    static Path tmp;

    static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start(0, tmp.resolve("kafka"));
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }
}
