package io.kontrast.jobs.kafka;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Properties;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * What a SASL_SSL broker needs, made once per data directory and kept there: a self-signed CA,
 * a broker certificate it signs (for 127.0.0.1 and localhost), and the password of the SCRAM
 * user {@value #USER}. For clients it writes {@code client.properties} (Java clients, Kafka's
 * {@code --command-config} format), {@code kcat.conf} (librdkafka's names) and {@code ca.pem}
 * (the CA, for any other client). Private keys, the password and the files holding it are
 * readable by their owner only.
 */
public final class BrokerSecurity {
    public static final String USER = "kontrast";
    public static final String MECHANISM = "SCRAM-SHA-512";
    /**
     * The private files' name prefix. They sit in the data directory itself, which is also the
     * broker's log directory, where any subdirectory must be a topic partition.
     */
    static final String PRIVATE = "security.";

    private final Path dataDir;
    private final String password;

    private BrokerSecurity(Path dataDir, String password) {
        this.dataDir = dataDir;
        this.password = password;
    }

    /** Whether {@code dataDir} holds a broker's security material. */
    static boolean present(Path dataDir) {
        return Files.exists(dataDir.resolve(PRIVATE + "password"));
    }

    /** The material in {@code dataDir}, made on the first call. */
    static BrokerSecurity loadOrCreate(Path dataDir) throws IOException {
        if (!present(dataDir)) {
            Files.createDirectories(dataDir);
            try {
                create(dataDir);
            } catch (GeneralSecurityException | OperatorCreationException e) {
                throw new IOException("could not create the broker's certificates: " + e.getMessage(), e);
            }
        }
        String password = Files.readString(dataDir.resolve(PRIVATE + "password"), StandardCharsets.US_ASCII).trim();
        BrokerSecurity s = new BrokerSecurity(dataDir, password);
        s.writeClientFiles();
        return s;
    }

    private static void create(Path dataDir) throws IOException, GeneralSecurityException, OperatorCreationException {
        SecureRandom random = new SecureRandom();
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), random);
        KeyPair caKeys = g.generateKeyPair();
        KeyPair brokerKeys = g.generateKeyPair();
        Instant now = Instant.now();
        Date from = Date.from(now.minus(Duration.ofDays(1)));
        Date to = Date.from(now.plus(Duration.ofDays(3650)));
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate());
        X500Name caName = new X500Name("CN=Kontrast broker CA " + now.getEpochSecond());
        X509Certificate ca = new JcaX509CertificateConverter().getCertificate(
                new JcaX509v3CertificateBuilder(caName, new BigInteger(64, random), from, to, caName, caKeys.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                        .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(caKeys.getPublic()))
                        .build(signer));
        X509Certificate broker = new JcaX509CertificateConverter().getCertificate(
                new JcaX509v3CertificateBuilder(caName, new BigInteger(64, random), from, to,
                        new X500Name("CN=localhost"), brokerKeys.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                        .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                                new GeneralName(GeneralName.dNSName, "localhost")}))
                        .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca))
                        .build(signer));
        // The password: 32 random bytes, URL-safe Base64 (no ',', '"' or '\', which the SCRAM
        // and JAAS syntaxes would trip on).
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        writePrivate(dataDir.resolve(PRIVATE + "ca.key"), pem("PRIVATE KEY", caKeys.getPrivate().getEncoded()));
        writePrivate(dataDir.resolve(PRIVATE + "broker.pem"), key(brokerKeys.getPrivate()) + pem("CERTIFICATE", broker.getEncoded())
                + pem("CERTIFICATE", ca.getEncoded()));
        Files.writeString(dataDir.resolve(PRIVATE + "ca.pem"), pem("CERTIFICATE", ca.getEncoded()));
        // Written last: its presence says the rest is there.
        writePrivate(dataDir.resolve(PRIVATE + "password"), Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    private static String key(PrivateKey k) {
        return pem("PRIVATE KEY", k.getEncoded()); // PKCS#8, as Kafka's PEM key store wants it
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void writePrivate(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, text, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** client.properties, kcat.conf and ca.pem in the data directory, for clients. */
    private void writeClientFiles() throws IOException {
        Path caPem = dataDir.resolve("ca.pem").toAbsolutePath();
        Files.copy(dataDir.resolve(PRIVATE + "ca.pem"), caPem, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        StringBuilder java = new StringBuilder("# Kafka client settings for the embedded broker (Java clients; --kafka-config)\n");
        clientProperties().forEach((k, v) -> java.append(k).append('=').append(escape(v.toString())).append('\n'));
        writePrivate(dataDir.resolve("client.properties"), java.toString());
        writePrivate(dataDir.resolve("kcat.conf"), "# librdkafka settings for the embedded broker: kcat -F kcat.conf ...\n"
                + "security.protocol=SASL_SSL\n"
                // SCRAM needs librdkafka 2.6.1 or later against Kafka 4; PLAIN over TLS works with any.
                + "sasl.mechanisms=PLAIN\n"
                + "sasl.username=" + USER + "\n"
                + "sasl.password=" + password + "\n"
                + "ssl.ca.location=" + caPem + "\n");
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\");
    }

    /** The security settings of a Java client of this broker (no bootstrap servers). */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.setProperty("security.protocol", "SASL_SSL");
        p.setProperty("sasl.mechanism", MECHANISM);
        p.setProperty("sasl.jaas.config", jaas(USER, password));
        p.setProperty("ssl.truststore.type", "PEM");
        p.setProperty("ssl.truststore.location", dataDir.resolve("ca.pem").toAbsolutePath().toString());
        return p;
    }

    static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** The broker's SASL_SSL listener settings, for {@code listener} (its name, lower case). */
    Properties brokerProperties(String listener) {
        Path dir = dataDir.toAbsolutePath();
        String prefix = "listener.name." + listener + ".";
        Properties p = new Properties();
        // PLAIN (over TLS) too, for librdkafka before 2.6.1 (kcat on Debian 12 has 2.0.2), whose
        // SCRAM fails against Kafka 4 brokers; the same user and password.
        p.setProperty("sasl.enabled.mechanisms", MECHANISM + ",PLAIN");
        p.setProperty("sasl.mechanism.inter.broker.protocol", MECHANISM);
        // The node connects to itself too (transaction markers), as this user.
        p.setProperty(prefix + MECHANISM.toLowerCase() + ".sasl.jaas.config", jaas(USER, password));
        p.setProperty(prefix + "plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + USER + "=\"" + password + "\";");
        p.setProperty(prefix + "ssl.keystore.type", "PEM");
        p.setProperty(prefix + "ssl.keystore.location", dir.resolve(PRIVATE + "broker.pem").toString());
        p.setProperty(prefix + "ssl.truststore.type", "PEM");
        p.setProperty(prefix + "ssl.truststore.location", dir.resolve(PRIVATE + "ca.pem").toString());
        return p;
    }

    /** {@code text} with the password masked. */
    String redact(String text) {
        return text.replace(password, "******");
    }

    /** The formatter's argument that creates the SCRAM user. */
    java.util.List<String> scramArguments() {
        return java.util.List.of(MECHANISM + "=[name=" + USER + ",password=" + password + "]");
    }

    public Path clientPropertiesFile() {
        return dataDir.resolve("client.properties").toAbsolutePath();
    }

    public Path kcatConfigFile() {
        return dataDir.resolve("kcat.conf").toAbsolutePath();
    }

    public Path caFile() {
        return dataDir.resolve("ca.pem").toAbsolutePath();
    }
}
