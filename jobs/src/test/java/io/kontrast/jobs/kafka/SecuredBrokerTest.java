package io.kontrast.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kafka --security sasl-ssl}'s broker, really started: a client with the written
 * client.properties works, kcat (librdkafka) reads with kcat.conf, and a client without
 * credentials, with a wrong password or without the CA is refused with a clear error, in
 * bounded time. A restart on the same data directory keeps the CA, the user and the topics.
 */
class SecuredBrokerTest {
    @TempDir
    Path tmp;

    static Properties load(Path file) throws Exception {
        Properties p = new Properties();
        try (FileReader r = new FileReader(file.toFile())) {
            p.load(r);
        }
        return p;
    }

    static Properties client(EmbeddedKafka kafka, Properties security) {
        Properties p = new Properties();
        p.putAll(security);
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        return p;
    }

    static String clusterId(Properties client) throws Exception {
        try (Admin admin = Admin.create(client)) {
            return admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void clientsWithTheWrittenSettingsConnectAndOthersAreRefused() throws Exception {
        Path data = tmp.resolve("kafka");
        EmbeddedKafka kafka = EmbeddedKafka.startSecured(0, data);
        String ca;
        String cluster;
        try {
            Properties settings = load(data.resolve("client.properties"));
            assertThat(settings.getProperty("security.protocol")).isEqualTo("SASL_SSL");
            assertThat(settings.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
            for (String secret : List.of("client.properties", "kcat.conf", "security.password", "security.ca.key", "security.broker.pem")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(secret))))
                        .as(secret).isEqualTo("rw-------");
            }
            ca = Files.readString(data.resolve("ca.pem"));
            assertThat(ca).startsWith("-----BEGIN CERTIFICATE-----");

            cluster = clusterId(client(kafka, settings));
            EmbeddedKafka.createTopics(client(kafka, settings), List.of(new EmbeddedKafka.TopicSpec("secured", 1, Map.of())));
            Properties producer = client(kafka, settings);
            producer.put("key.serializer", StringSerializer.class.getName());
            producer.put("value.serializer", StringSerializer.class.getName());
            try (KafkaProducer<String, String> p = new KafkaProducer<>(producer)) {
                p.send(new ProducerRecord<>("secured", "k", "over TLS")).get(30, TimeUnit.SECONDS);
            }
            // An outside client: kcat with the librdkafka settings file.
            Process kcat = new ProcessBuilder("kcat", "-F", data.resolve("kcat.conf").toString(), "-b", kafka.bootstrapServers(),
                    "-C", "-t", "secured", "-o", "beginning", "-e", "-q", "-f", "%s\\n").redirectErrorStream(true).start();
            assertThat(kcat.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(kcat.getInputStream().readAllBytes())).contains("over TLS");

            // Wrong password: refused by SCRAM.
            Properties wrong = client(kafka, settings);
            wrong.setProperty("sasl.jaas.config", BrokerSecurity.jaas(BrokerSecurity.USER, "not-the-password"));
            assertThatThrownBy(() -> clusterId(wrong)).hasRootCauseInstanceOf(SaslAuthenticationException.class);
            // No CA: the broker's certificate is not trusted.
            Properties noCa = client(kafka, settings);
            noCa.remove("ssl.truststore.type");
            noCa.remove("ssl.truststore.location");
            assertThatThrownBy(() -> clusterId(noCa)).hasCauseInstanceOf(SslAuthenticationException.class)
                    .rootCause().hasMessageContaining("unable to find valid certification path");
            // No credentials (TLS only): the SASL listener gives up on it; the client times out.
            Properties noSasl = client(kafka, settings);
            noSasl.setProperty("security.protocol", "SSL");
            noSasl.remove("sasl.mechanism");
            noSasl.remove("sasl.jaas.config");
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> clusterId(noSasl)).isInstanceOf(java.util.concurrent.ExecutionException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(45));
            // Plaintext: likewise refused.
            Properties plain = client(kafka, new Properties());
            assertThatThrownBy(() -> clusterId(plain)).isInstanceOf(java.util.concurrent.ExecutionException.class);
        } finally {
            kafka.close();
        }

        // Restarted on the same directory: same CA, same user, same topics.
        EmbeddedKafka again = EmbeddedKafka.startSecured(0, data);
        try {
            assertThat(Files.readString(data.resolve("ca.pem"))).isEqualTo(ca);
            Properties settings = load(data.resolve("client.properties"));
            assertThat(clusterId(client(again, settings))).isEqualTo(cluster);
            try (Admin admin = Admin.create(client(again, settings))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("secured");
            }
        } finally {
            again.close();
        }
        // A secured directory is not started as plaintext, nor a plaintext one as secured.
        assertThatThrownBy(() -> EmbeddedKafka.start(0, data)).hasMessageContaining("--security sasl-ssl");
        Path plainDir = tmp.resolve("plain-" + UUID.randomUUID());
        EmbeddedKafka.start(0, plainDir).close();
        assertThatThrownBy(() -> EmbeddedKafka.startSecured(0, plainDir)).hasMessageContaining("new --data-dir");
    }
}
