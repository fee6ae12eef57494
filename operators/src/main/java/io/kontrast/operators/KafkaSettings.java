package io.kontrast.operators;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;

/**
 * The settings of every Kafka client of a Kontrast job or command: the bootstrap servers, the
 * file of {@link KontrastOptions#KAFKA_CONFIG_FILE} (as Kafka's own tools take {@code
 * --command-config}), and {@code kontrast.kafka.properties.<name>} entries over it.
 */
public final class KafkaSettings {
    /** {@code kontrast.kafka.properties.<name>}: a Kafka client setting, over the config file's. */
    public static final String PROPERTIES_PREFIX = "kontrast.kafka.properties.";

    private KafkaSettings() {}

    /** Fails fast, naming the option, when the file cannot be read. */
    public static Properties client(Configuration conf) {
        Properties p = new Properties();
        String file = conf.get(KontrastOptions.KAFKA_CONFIG_FILE);
        if (!file.isBlank()) {
            try (Reader r = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(KontrastOptions.KAFKA_CONFIG_FILE.key() + " (--kafka-config): cannot read "
                        + file + ": " + e.getMessage());
            }
        }
        for (Map.Entry<String, String> e : conf.toMap().entrySet()) {
            if (e.getKey().startsWith(PROPERTIES_PREFIX)) {
                p.setProperty(e.getKey().substring(PROPERTIES_PREFIX.length()), e.getValue());
            }
        }
        // An explicit --bootstrap wins over the file's; the file's over the default.
        if (conf.getOptional(KontrastOptions.BOOTSTRAP).isPresent() || !p.containsKey("bootstrap.servers")) {
            p.setProperty("bootstrap.servers", conf.get(KontrastOptions.BOOTSTRAP));
        }
        return p;
    }

    /** {@code client} with {@code extra} on top, as a new object. */
    public static Properties with(Properties client, Map<String, ?> extra) {
        Properties p = new Properties();
        p.putAll(client);
        p.putAll(extra);
        return p;
    }
}
