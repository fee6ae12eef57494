package io.kontrast.jobs;

import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.operators.KafkaSettings;
import io.kontrast.operators.KontrastOptions;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;

/** {@code --kafka-config} and {@code -D kontrast.kafka.properties.*} of the commands. */
final class KafkaCli {
    static final String CONFIG_HELP = "a Java properties file of Kafka client settings (security.protocol, sasl.*, ssl.*), "
            + "as Kafka's tools take --command-config; -D kontrast.kafka.properties.<name>=<value> sets one over it";

    private KafkaCli() {}

    /** {@code --kafka-config} into its option (only the path: the settings stay out of the configuration). */
    static void configFile(Args a, Configuration conf) {
        if (a.has("kafka-config")) {
            conf.set(KontrastOptions.KAFKA_CONFIG_FILE, a.path("kafka-config").toAbsolutePath().toString());
        }
    }

    /** The client settings of a command that builds no job: -D properties, --bootstrap, --kafka-config. */
    static Properties client(Args a) {
        Configuration conf = TrainCommand.baseConfiguration(a);
        if (a.has("bootstrap")) conf.set(KontrastOptions.BOOTSTRAP, a.get("bootstrap"));
        configFile(a, conf);
        try {
            return KafkaSettings.client(conf);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
