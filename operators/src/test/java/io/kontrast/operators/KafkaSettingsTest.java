package io.kontrast.operators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSettingsTest {
    @TempDir
    Path tmp;

    @Test
    void theFileThenPropertiesOverItAndAnExplicitBootstrapWins() throws Exception {
        Path file = tmp.resolve("client.properties");
        Files.writeString(file, "bootstrap.servers=broker:9093\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n");
        Configuration conf = new Configuration();
        conf.set(KontrastOptions.KAFKA_CONFIG_FILE, file.toString());
        conf.setString(KafkaSettings.PROPERTIES_PREFIX + "sasl.mechanism", "PLAIN");
        conf.setString(KafkaSettings.PROPERTIES_PREFIX + "client.rack", "a");

        Properties p = KafkaSettings.client(conf);
        assertThat(p).containsEntry("bootstrap.servers", "broker:9093").containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN").containsEntry("client.rack", "a");
        assertThat(conf.toMap()).as("only the file's path is in the configuration").doesNotContainKey("security.protocol");

        conf.set(KontrastOptions.BOOTSTRAP, "other:9092");
        assertThat(KafkaSettings.client(conf)).containsEntry("bootstrap.servers", "other:9092");
        assertThat(KafkaSettings.client(new Configuration())).containsEntry("bootstrap.servers", "localhost:9092");
    }

    @Test
    void anUnreadableFileNamesTheOption() {
        Configuration conf = new Configuration();
        conf.set(KontrastOptions.KAFKA_CONFIG_FILE, tmp.resolve("missing.properties").toString());
        assertThatThrownBy(() -> KafkaSettings.client(conf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kontrast.kafka.config-file (--kafka-config)").hasMessageContaining("missing.properties");
    }
}
