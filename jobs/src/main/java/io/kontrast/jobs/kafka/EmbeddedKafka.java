package io.kontrast.jobs.kafka;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) on loopback, started
 * in-process from the Kafka jars: the storage directory is formatted (once; a formatted directory
 * is reused, so topics and offsets survive a restart) and a {@link KafkaRaftServer} started on it.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    /** Topics and settings that Kontrast uses. */
    public record TopicSpec(String name, int partitions, Map<String, String> configs) {}

    /** Snapshots are a few MB each; allow up to 64 MiB messages on the snapshot topic. */
    public static final int SNAPSHOT_MAX_MESSAGE_BYTES = 64 << 20;

    private final int port;
    private final Path dataDir;
    private final BrokerSecurity security;
    private KafkaRaftServer server;

    private EmbeddedKafka(int port, Path dataDir, BrokerSecurity security) {
        this.port = port;
        this.dataDir = dataDir;
        this.security = security;
    }

    /** Starts a plaintext broker on {@code port} (0: any free port) storing its data in {@code dataDir}. */
    public static EmbeddedKafka start(int port, Path dataDir) throws Exception {
        if (BrokerSecurity.present(dataDir)) {
            throw new IllegalArgumentException(dataDir + " holds a SASL_SSL broker: start it with --security sasl-ssl");
        }
        EmbeddedKafka k = new EmbeddedKafka(port == 0 ? freePort() : port, dataDir, null);
        k.startServer();
        return k;
    }

    /**
     * Starts a broker whose listener is SASL_SSL (SCRAM-SHA-512 over TLS): the CA, the broker's
     * certificate and the user {@value BrokerSecurity#USER} are made at the first start in {@code
     * dataDir} and kept; {@link #security()} says where the client files are. The controller
     * listener, which only the node itself uses, stays plaintext on loopback.
     */
    public static EmbeddedKafka startSecured(int port, Path dataDir) throws Exception {
        if (Files.exists(dataDir.resolve("meta.properties")) && !BrokerSecurity.present(dataDir)) {
            throw new IllegalArgumentException(dataDir + " holds a plaintext broker, whose storage has no users: "
                    + "use a new --data-dir for --security sasl-ssl");
        }
        Files.createDirectories(dataDir);
        EmbeddedKafka k = new EmbeddedKafka(port == 0 ? freePort() : port, dataDir, BrokerSecurity.loadOrCreate(dataDir));
        k.startServer();
        return k;
    }

    /** The broker's security material and client files; null for a plaintext broker. */
    public BrokerSecurity security() {
        return security;
    }

    /** Everything a Java client needs: bootstrap servers, and the security settings if any. */
    public Properties clientProperties() {
        Properties p = security == null ? new Properties() : security.clientProperties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return p;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private void startServer() throws Exception {
        Files.createDirectories(dataDir);
        int controllerPort = freePort();
        // A port just freed may be handed out again: the controller must not get the broker's.
        while (controllerPort == port) controllerPort = freePort();
        String logDir = dataDir.toAbsolutePath().toString();
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        String listener = security == null ? "PLAINTEXT" : "SASL_SSL";
        p.put("listeners", listener + "://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", listener + "://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", listener);
        p.put("listener.security.protocol.map", listener + ":" + listener + ",CONTROLLER:PLAINTEXT");
        if (security != null) p.putAll(security.brokerProperties(listener.toLowerCase()));
        p.put("log.dirs", logDir);
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.put("transaction.max.timeout.ms", "900000");
        p.put("message.max.bytes", Integer.toString(SNAPSHOT_MAX_MESSAGE_BYTES));
        p.put("replica.fetch.max.bytes", Integer.toString(SNAPSHOT_MAX_MESSAGE_BYTES));
        p.put("socket.request.max.bytes", Integer.toString(2 * SNAPSHOT_MAX_MESSAGE_BYTES));
        p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
        KafkaConfig config = KafkaConfig.fromProps(p, false);

        if (!Files.exists(dataDir.resolve("meta.properties"))) {
            try {
                new Formatter()
                        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                        .setNodeId(1)
                        .setClusterId(Uuid.randomUuid().toString())
                        .setDirectories(List.of(logDir))
                        .setMetadataLogDirectory(logDir)
                        .setControllerListenerName("CONTROLLER")
                        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                        .setIgnoreFormatted(true)
                        .setScramArguments(security == null ? List.of() : security.scramArguments())
                        .run();
            } catch (Exception e) {
                // The formatter's messages may repeat its SCRAM argument, password included.
                String message = security == null ? e.getMessage() : security.redact(String.valueOf(e.getMessage()));
                throw new IOException("formatting " + logDir + " failed: " + message);
            }
        }
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        LOG.info("Kafka broker listening on {}", bootstrapServers());
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The topics a Kontrast deployment uses, with the settings snapshots need. */
    public static List<TopicSpec> kontrastTopics(String samples, String deadLetters, String snapshots) {
        List<TopicSpec> topics = new ArrayList<>();
        topics.add(new TopicSpec(samples, 1, Map.of()));
        topics.add(new TopicSpec(deadLetters, 1, Map.of()));
        topics.add(new TopicSpec(snapshots, 1, Map.of(
                "max.message.bytes", Integer.toString(SNAPSHOT_MAX_MESSAGE_BYTES),
                "compression.type", "producer",
                "cleanup.policy", "delete",
                "retention.ms", Long.toString(7L * 24 * 3600 * 1000))));
        return topics;
    }

    /** Creates topics that do not exist yet. */
    public static void createTopics(String bootstrap, List<TopicSpec> topics) throws Exception {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        createTopics(p, topics);
    }

    /** Creates topics that do not exist yet, with a client of these settings. */
    public static void createTopics(Properties client, List<TopicSpec> topics) throws Exception {
        try (Admin admin = Admin.create(client)) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> create = new ArrayList<>();
            for (TopicSpec t : topics) {
                if (!existing.contains(t.name())) {
                    create.add(new NewTopic(t.name(), t.partitions(), (short) 1).configs(t.configs()));
                }
            }
            try {
                admin.createTopics(create).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) throw e;
            }
        }
    }

    /**
     * Starts the broker again after {@link #close}, on the same port and data directory: its
     * topics, offsets and transactions are as it left them.
     */
    public void restart() throws Exception {
        if (server != null) throw new IllegalStateException("the broker is running");
        startServer();
    }

    @Override
    public void close() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }
}
