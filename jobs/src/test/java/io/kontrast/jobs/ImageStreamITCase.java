package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import io.kontrast.client.Encoder;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.operators.publish.SnapshotCodec;
import io.kontrast.schemas.DeadLetter;
import io.kontrast.schemas.EncoderSnapshot;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * A topic of encoded images, as users have them: an image folder of JPEG and PNG files (40×40
 * RGB, fitted to the 3×32×32 input) replayed as the files' own bytes, with garbage and a
 * decompression bomb mixed in, trains a {@code resnet} end to end. Bad records land in the
 * dead-letter topic with their reasons while training goes on, and the snapshots embed RGB
 * images in the Java client.
 */
class ImageStreamITCase extends WithKafka {
    static final int BATCH = 32;
    static final int STEPS = 12;

    @Test
    void aTopicOfJpegAndPngBytesTrainsAResnetAndBadImagesAreDeadLetters() throws Exception {
        Path folder = tmp.resolve("images");
        SplittableRandom rnd = new SplittableRandom(5);
        int[][] colours = {{200, 40, 40}, {40, 200, 40}, {40, 40, 200}};
        for (int c = 0; c < colours.length; c++) {
            Path dir = Files.createDirectories(folder.resolve("train").resolve("class" + c));
            for (int i = 0; i < 30; i++) {
                BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 40; y++) {
                    for (int x = 0; x < 40; x++) {
                        int r = Math.min(255, colours[c][0] + rnd.nextInt(50));
                        int g = Math.min(255, colours[c][1] + rnd.nextInt(50));
                        int b = Math.min(255, colours[c][2] + rnd.nextInt(50));
                        img.setRGB(x, y, r << 16 | g << 8 | b);
                    }
                }
                String format = i % 2 == 0 ? "png" : "jpg";
                ImageIO.write(img, format.equals("jpg") ? "jpeg" : "png", dir.resolve(String.format("%03d.%s", i, format)).toFile());
            }
        }
        String bootstrap = kafka.bootstrapServers();
        EmbeddedKafka.createTopics(bootstrap, EmbeddedKafka.kontrastTopics("samples", "samples.dlq", "encoder-snapshots"));
        ByteArrayOutputStream replayLog = new ByteArrayOutputStream();
        int replayed = KontrastCli.run(new String[] {"replay", "--bootstrap", bootstrap, "--dataset", "image-folder",
                "--dir", folder.toString(), "--split", "train", "--format", "image", "--epochs", "5", "--with-labels"},
                new PrintStream(replayLog, true), System.err);
        assertThat(replayed).as(replayLog.toString()).isZero();
        assertThat(replayLog.toString()).contains("Sent 450 samples");
        List<byte[]> garbage = List.of("not an image".getBytes(), pngBomb(), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        try (KafkaProducer<byte[], byte[]> p = TrainJobITCase.producer(bootstrap)) {
            for (int i = 0; i < garbage.size(); i++) p.send(new ProducerRecord<>("samples", ("bad-" + i).getBytes(), garbage.get(i)));
        }

        // Per-channel statistics of the topic, decoded and fitted as the trainer does it: each image
        // five times, so the folder's own statistics (to 1e-3: the folder loader keeps the fitted
        // pixels as bytes, the trainer as floats); the three bad records are counted.
        Path stats = tmp.resolve("input-stats.json");
        var fromTopic = KontrastCliTest.run("stats", "--bootstrap", bootstrap, "--input-shape", "3x32x32", "--input-format", "image",
                "--max-samples", "1000", "--out", stats.toString());
        assertThat(fromTopic.exit()).as(fromTopic.err()).isZero();
        assertThat(fromTopic.out()).contains("\"samples\" : 450", "\"rejected\" : 3");
        InputStats topicStats = InputStats.read(stats);
        InputStats folderStats = InputStats.of(Datasets.load("image-folder", "train", folder, new io.kontrast.math.nn.Shape(3, 32, 32)), 0, 0.05);
        assertThat(topicStats.mean()).containsExactly(folderStats.mean(), within(1e-3));
        assertThat(topicStats.std()).containsExactly(folderStats.std(), within(1e-3));
        // Class c is bright in channel c: each channel's mean is about (200 + 2 · 40) / 3 + 25 of 255.
        for (double m : topicStats.mean()) assertThat(m).isCloseTo((280 / 3.0 + 24.5) / 255, within(0.02));

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int exit = KontrastCli.run(new String[] {
                "train", "--bootstrap", bootstrap, "--input-stats", stats.toString(),
                "--checkpoint-dir", tmp.resolve("checkpoints").toString(), "--checkpoint-interval", "2s",
                "--encoder", "resnet", "--input-shape", "3x32x32", "--input-format", "image",
                "--batch-size", Integer.toString(BATCH), "--queue-size", "256",
                "--snapshot-every", "4", "--max-samples", Integer.toString(BATCH * STEPS),
                "-D", "kontrast.resnet.width=4", "-D", "kontrast.cnn.bn-groups=2"},
                new PrintStream(log, true), System.err);
        assertThat(exit).as(log.toString()).isZero();

        List<EncoderSnapshot> snapshots = SnapshotTopicReader.readAll(bootstrap, "encoder-snapshots", Duration.ofSeconds(30));
        assertThat(snapshots).hasSizeGreaterThanOrEqualTo(STEPS / 4);
        for (int i = 0; i < snapshots.size(); i++) {
            assertThat(snapshots.get(i).getVersion()).isEqualTo(i + 1L);
            assertThat(SnapshotCodec.verify(snapshots.get(i))).isTrue();
        }
        EncoderSnapshot last = snapshots.get(snapshots.size() - 1);
        assertThat(last.getArchitecture()).isEqualTo("resnet");
        assertThat(last.getInputShape()).containsExactly(3, 32, 32);
        assertThat(last.getSamplesSeen()).isEqualTo((long) BATCH * STEPS);
        assertThat(last.getLayers()).extracting(l -> l.getKind()).contains("residual", "global_avg_pool");
        // The per-channel statistics lead the backbone as the batch_norm input_norm: weight 1/std per channel.
        assertThat(last.getLayers().get(0).getName()).isEqualTo(SnapshotCodec.INPUT_NORM);
        assertThat(last.getInputMean()).isZero();
        float[] scale = new float[3];
        last.getWeights().get(0).getTensor().getData().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(scale);
        for (int c = 0; c < 3; c++) assertThat((double) scale[c]).isCloseTo(1 / topicStats.std()[c], within(1e-3 / topicStats.std()[c]));
        Encoder client = Encoder.fromSnapshot(last);
        assertThat(client.embeddingDim()).isEqualTo(16);
        float[] image = new float[3 * 32 * 32];
        for (int i = 0; i < image.length; i++) image[i] = (float) rnd.nextDouble();
        float[] e = client.embed(image);
        assertThat(e).hasSize(16);
        for (float v : e) assertThat(Float.isFinite(v)).isTrue();

        // export: the newest snapshot as ONNX embeds the image as the client does; version 1 as a record.
        Path onnx = tmp.resolve("export/resnet.onnx");
        ByteArrayOutputStream exportLog = new ByteArrayOutputStream();
        assertThat(KontrastCli.run(new String[] {"export", "--bootstrap", bootstrap, "--out", onnx.toString()},
                new PrintStream(exportLog, true), System.err)).as(exportLog.toString()).isZero();
        assertThat(exportLog.toString()).contains("\"version\": " + last.getVersion(), "\"format\": \"onnx\"");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
                OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(image), new long[] {1, 3, 32, 32});
                OrtSession.Result result = session.run(Map.of("pixels", input))) {
            float[] fromOnnx = ((float[][]) result.get(0).getValue())[0];
            for (int i = 0; i < e.length; i++) assertThat(fromOnnx[i]).isCloseTo(e[i], within(1e-4f));
        }
        Path first = tmp.resolve("export/v1.snapshot");
        assertThat(KontrastCli.run(new String[] {"export", "--bootstrap", bootstrap, "--version", "1", "--format", "snapshot",
                "--out", first.toString()}, new PrintStream(exportLog, true), System.err)).as(exportLog.toString()).isZero();
        assertThat(EncoderSnapshot.getDecoder().decode(Files.readAllBytes(first))).isEqualTo(snapshots.get(0));

        List<DeadLetter> dead = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : TrainJobITCase.readRaw(bootstrap, "samples.dlq", garbage.size())) {
            dead.add(DeadLetter.getDecoder().decode(r.value()));
        }
        assertThat(dead).extracting(DeadLetter::getReason).containsExactlyInAnyOrder("BAD_IMAGE", "OVERSIZED", "BAD_IMAGE");
        assertThat(dead).filteredOn(d -> d.getReason().equals("OVERSIZED")).singleElement()
                .satisfies(d -> assertThat(d.getMessage()).contains("not decoded"));
    }

    /** A PNG of a few dozen bytes whose header claims 60,000 × 60,000 pixels. */
    static byte[] pngBomb() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(ihdr);
        h.writeInt(60_000);
        h.writeInt(60_000);
        h.write(new byte[] {8, 2, 0, 0, 0});
        byte[] data = ihdr.toByteArray();
        out.writeInt(data.length);
        out.write("IHDR".getBytes());
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update("IHDR".getBytes());
        crc.update(data);
        out.writeInt((int) crc.getValue());
        return bytes.toByteArray();
    }
}
