package io.kontrast.jobs;

import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.jobs.kafka.BrokerSecurity;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.operators.KontrastOptions;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/** {@code kontrast kafka}: a single-node KRaft broker in the foreground until SIGINT/SIGTERM. */
public final class KafkaCommand {
    private KafkaCommand() {}

    static Args args() {
        return new Args("kafka", "Runs a single-node Kafka broker (KRaft) on loopback and creates Kontrast's topics.")
                .opt("port", "port", "9092", "listener port")
                .opt("data-dir", "dir", "kontrast-data/kafka", "log and metadata directory (kept across restarts)")
                .opt("security", "none|sasl-ssl", "none", "sasl-ssl: TLS (a CA and certificate made at the first start) "
                        + "and SCRAM-SHA-512 user 'kontrast'; client.properties, kcat.conf and ca.pem are written to --data-dir");
    }

    static int run(Args a, PrintStream out) throws Exception {
        int port = a.getInt("port", 1, 65535);
        boolean secured = a.choice("security", "none", "sasl-ssl").equals("sasl-ssl");
        EmbeddedKafka kafka;
        try {
            kafka = secured ? EmbeddedKafka.startSecured(port, a.path("data-dir")) : EmbeddedKafka.start(port, a.path("data-dir"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.close();
            stopped.countDown();
        }));
        EmbeddedKafka.createTopics(kafka.clientProperties(), EmbeddedKafka.kontrastTopics(
                KontrastOptions.SAMPLES_TOPIC.defaultValue(),
                KontrastOptions.DLQ_TOPIC.defaultValue(),
                KontrastOptions.SNAPSHOTS_TOPIC.defaultValue()));
        out.println("Kafka broker ready at " + kafka.bootstrapServers()
                + " (topics: samples, samples.dlq, encoder-snapshots). Ctrl-C to stop.");
        if (secured) {
            out.println("SASL_SSL (SCRAM-SHA-512, user " + BrokerSecurity.USER + "). Client settings: "
                    + kafka.security().clientPropertiesFile() + " (Java clients: --kafka-config), "
                    + kafka.security().kcatConfigFile() + " (kcat -F), CA certificate: " + kafka.security().caFile());
        }
        stopped.await();
        return 0;
    }
}
