package io.kontrast.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.data.Samples;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.schemas.DType;
import io.kontrast.schemas.Sample;
import io.kontrast.schemas.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SampleDecoderTest {
    final SampleDecoder decoder = new SampleDecoder(28, 28, 1 << 20);
    final Images images = new Images();

    static final class Images {
        final io.kontrast.data.LabeledImages set = SyntheticShapes.generate(20, 3, "synthetic/test");
    }

    byte[] good(int i) {
        return Samples.encode(Samples.sample(images.set, i, "id-" + i, true));
    }

    byte[] withTensor(DType dtype, List<Integer> shape, ByteBuffer data) {
        Sample s = Samples.sample(images.set, 0, "x", false);
        s.setTensor(Tensor.newBuilder().setDtype(dtype).setShape(shape).setData(data).build());
        return Samples.encode(s);
    }

    @Test
    void decodesAValidSampleToPixelsInUnitRange() {
        SampleDecoder.Result r = decoder.decode(good(4));
        assertThat(r.ok()).isTrue();
        assertThat(r.sample().id).isEqualTo("id-4");
        assertThat(r.sample().label).isEqualTo(images.set.labels()[4]);
        assertThat(r.sample().pixels).hasSize(784).containsExactly(images.set.image(4));
    }

    /** The instance comes from the configured attribute (replay names each image's place in its set); without it, none. */
    @Test
    void readsTheInstanceFromTheConfiguredAttribute() {
        assertThat(decoder.decode(good(4)).sample().instance).isEqualTo("synthetic/test/4");
        assertThat(decoder.decode(good(4)).sample().instanceOrId()).isEqualTo("synthetic/test/4");
        Sample s = Samples.sample(images.set, 5, "id-5", false);
        s.setAttributes(java.util.Map.of("object", "cat-7"));
        byte[] bytes = Samples.encode(s);
        assertThat(decoder.decode(bytes).sample().instance).isNull();
        assertThat(decoder.decode(bytes).sample().instanceOrId()).isEqualTo("id-5");
        var byObject = new SampleDecoder(28, 28, 1 << 20).instanceAttribute("object");
        assertThat(byObject.decode(bytes).sample().instance).isEqualTo("cat-7");
    }

    /**
     * Paired samples: each named part read as a sample of its own shape would be, the parts'
     * values concatenated in the configured order (whatever their order in the record); a missing
     * part and a part of the wrong shape are dead letters whose messages name the part.
     */
    @Test
    void decodesPairedSamplesPartByPart() {
        var halves = images.set.asHalves();
        var pairs = new SampleDecoder(List.of("top", "bottom"), List.of(new int[] {1, 14, 28}, new int[] {1, 14, 28}), 1 << 20);
        Sample s = Samples.sample(halves, 6, "pair-6", true);
        assertThat(s.getParts()).extracting(p -> p.getName().toString()).containsExactly("top", "bottom");
        SampleDecoder.Result r = pairs.decode(Samples.encode(s));
        assertThat(r.ok()).as("%s", r.message()).isTrue();
        assertThat(r.sample().pixels).containsExactly(images.set.image(6));
        assertThat(r.sample().channels).isEqualTo(784);
        // The parts in the other order in the record: the configured order still rules.
        var reversed = new SampleDecoder(List.of("bottom", "top"), List.of(new int[] {1, 14, 28}, new int[] {1, 14, 28}), 1 << 20);
        float[] swapped = reversed.decode(Samples.encode(s)).sample().pixels;
        assertThat(java.util.Arrays.copyOfRange(swapped, 0, 392)).containsExactly(java.util.Arrays.copyOfRange(images.set.image(6), 392, 784));

        Sample missing = Samples.sample(halves, 6, "pair-6", true);
        missing.setParts(List.of(missing.getParts().get(0)));
        r = pairs.decode(Samples.encode(missing));
        assertThat(r.reason()).isEqualTo(RejectReason.MISSING_FIELD);
        assertThat(r.message()).contains("no part 'bottom'");

        var sequences = new SampleDecoder(List.of("top", "bottom"), List.of(new int[] {28, 1, 14}, new int[] {1, 14, 28}), 1 << 20);
        r = sequences.decode(Samples.encode(s));
        assertThat(r.reason()).isEqualTo(RejectReason.SHAPE_MISMATCH);
        assertThat(r.message()).startsWith("part 'top': tensor shape [1, 14, 28]").contains("expected a sequence [14, 28]");
        // An ordinary sample to a decoder of pairs has no parts.
        assertThat(pairs.decode(good(1)).reason()).isEqualTo(RejectReason.MISSING_FIELD);
    }

    @Test
    void acceptsFiniteFloat32Tensors() {
        ByteBuffer data = ByteBuffer.allocate(784 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 784; i++) data.putFloat(i / 784f);
        data.flip();
        SampleDecoder.Result r = decoder.decode(withTensor(DType.FLOAT32, List.of(28, 28), data));
        assertThat(r.ok()).isTrue();
        assertThat(r.sample().pixels[392]).isEqualTo(0.5f);
    }

    @Test
    void namesTheReasonForEachKindOfBadRecord() {
        assertThat(decoder.decode(new byte[0]).reason()).isEqualTo(RejectReason.EMPTY);
        assertThat(decoder.decode(null).reason()).isEqualTo(RejectReason.EMPTY);
        assertThat(new SampleDecoder(28, 28, 100).decode(good(0)).reason()).isEqualTo(RejectReason.OVERSIZED);
        assertThat(decoder.decode("hello, world".getBytes()).reason()).isEqualTo(RejectReason.NOT_AVRO);
        byte[] unknown = good(0);
        unknown[4] ^= 1;
        assertThat(decoder.decode(unknown).reason()).isEqualTo(RejectReason.UNKNOWN_SCHEMA);
        byte[] truncated = java.util.Arrays.copyOf(good(0), 40);
        assertThat(decoder.decode(truncated).reason()).isEqualTo(RejectReason.NOT_AVRO);
        assertThat(decoder.decode(withTensor(DType.UINT8, List.of(2, 28, 28), ByteBuffer.allocate(2 * 784))).reason())
                .isEqualTo(RejectReason.SHAPE_MISMATCH);
        assertThat(decoder.decode(withTensor(DType.UINT8, List.of(1, 1, 28, 28), ByteBuffer.allocate(784))).reason())
                .isEqualTo(RejectReason.SHAPE_MISMATCH);
        assertThat(decoder.decode(withTensor(DType.UINT8, List.of(1, 0, 28), ByteBuffer.allocate(0))).reason())
                .isEqualTo(RejectReason.BAD_TENSOR);
        assertThat(decoder.decode(withTensor(DType.UINT8, List.of(1, 28, 28), ByteBuffer.allocate(100))).reason())
                .isEqualTo(RejectReason.BAD_TENSOR);
        assertThat(decoder.decode(withTensor(DType.INT32, List.of(1, 28, 28), ByteBuffer.allocate(784 * 4))).reason())
                .isEqualTo(RejectReason.BAD_TENSOR);
        ByteBuffer nan = ByteBuffer.allocate(784 * 4).order(ByteOrder.LITTLE_ENDIAN);
        nan.putFloat(100, Float.NaN);
        assertThat(decoder.decode(withTensor(DType.FLOAT32, List.of(1, 28, 28), nan)).reason())
                .isEqualTo(RejectReason.NON_FINITE);
        Sample noId = Samples.sample(images.set, 0, "", false);
        assertThat(decoder.decode(Samples.encode(noId)).reason()).isEqualTo(RejectReason.MISSING_FIELD);
    }

    @Test
    void fuzzedRecordsNeverThrowAndAreEachAccountedFor() {
        SplittableRandom rnd = new SplittableRandom(2026);
        Map<RejectReason, Integer> reasons = new EnumMap<>(RejectReason.class);
        int ok = 0;
        int total = 5000;
        for (int i = 0; i < total; i++) {
            byte[] record;
            switch (i % 4) {
                case 0 -> { // random bytes
                    record = new byte[i < 100 ? 0 : rnd.nextInt(2000)];
                    for (int j = 0; j < record.length; j++) record[j] = (byte) rnd.nextInt(256);
                }
                case 1 -> { // valid header, random body
                    record = new byte[10 + rnd.nextInt(1000)];
                    byte[] g = good(0);
                    System.arraycopy(g, 0, record, 0, 10);
                    for (int j = 10; j < record.length; j++) record[j] = (byte) rnd.nextInt(256);
                }
                case 2 -> { // a valid record with a few bytes flipped
                    record = good(rnd.nextInt(20));
                    for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
                        record[rnd.nextInt(record.length)] ^= (byte) (1 + rnd.nextInt(255));
                    }
                }
                default -> { // a valid record cut short or extended
                    byte[] g = good(rnd.nextInt(20));
                    record = java.util.Arrays.copyOf(g, rnd.nextInt(g.length + 50));
                }
            }
            SampleDecoder.Result r = decoder.decode(record);
            if (r.ok()) {
                ok++;
                assertThat(r.sample().pixels).hasSize(784);
                for (float p : r.sample().pixels) assertThat(p).isBetween(0f, 1f);
            } else {
                assertThat(r.message()).isNotBlank();
                reasons.merge(r.reason(), 1, Integer::sum);
            }
        }
        int rejected = reasons.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(ok + rejected).isEqualTo(total);
        assertThat(reasons).containsKeys(RejectReason.NOT_AVRO, RejectReason.UNKNOWN_SCHEMA, RejectReason.EMPTY);
        assertThat(rejected).isGreaterThan(total / 2);
    }

    /**
     * One decoder decodes record after record into the same working objects: each sample keeps
     * its own id, label and pixels after later records, and a malformed record in between changes
     * nothing that follows.
     */
    @Test
    void samplesDecodedOneAfterAnotherStayIndependent() {
        List<ImageSample> kept = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            if (i % 5 == 3) {
                byte[] cut = good(i);
                assertThat(decoder.decode(java.util.Arrays.copyOf(cut, cut.length - 100)).ok()).isFalse();
            }
            SampleDecoder.Result r = decoder.decode(good(i));
            assertThat(r.ok()).isTrue();
            kept.add(r.sample());
        }
        for (int i = 0; i < 20; i++) {
            assertThat(kept.get(i).id).isEqualTo("id-" + i);
            assertThat(kept.get(i).label).isEqualTo(images.set.labels()[i]);
            assertThat(kept.get(i).pixels).containsExactly(images.set.image(i));
        }
    }

    /**
     * Tensors of another size or channel count are fitted to the encoder's input: an RGB
     * [3, H, W] tensor is read plane by plane into interleaved (h, w, c) pixels, resized and
     * cropped; a gray one is replicated into three channels; an RGB one becomes its luma for a
     * gray encoder.
     */
    @Test
    void aVectorInputTakesVectorsOfItsLengthAndNamesTheShapeOfAnythingElse() {
        SampleDecoder vectors = new SampleDecoder(5, 1, 1, 1 << 20);
        ByteBuffer data = ByteBuffer.allocate(5 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 5; i++) data.putFloat(i * 10.5f - 3);
        SampleDecoder.Result r = vectors.decode(withTensor(DType.FLOAT32, List.of(5), data.flip()));
        assertThat(r.ok()).as(r.message()).isTrue();
        assertThat(r.sample().pixels).containsExactly(-3f, 7.5f, 18f, 28.5f, 39f); // values as they are, not fitted
        assertThat(r.sample().channels).isEqualTo(5);
        assertThat(vectors.decode(withTensor(DType.UINT8, List.of(5), ByteBuffer.wrap(new byte[] {0, 51, 102, (byte) 255, 0})))
                .sample().pixels).containsExactly(0f, 0.2f, 0.4f, 1f, 0f);

        SampleDecoder.Result longer = vectors.decode(withTensor(DType.FLOAT32, List.of(6), ByteBuffer.allocate(24)));
        assertThat(longer.reason()).isEqualTo(RejectReason.SHAPE_MISMATCH);
        assertThat(longer.message()).contains("[6]", "expected [5]");
        SampleDecoder.Result image = vectors.decode(good(0));
        assertThat(image.reason()).isEqualTo(RejectReason.SHAPE_MISMATCH);
        assertThat(image.message()).contains("[1, 28, 28]", "expected [5]");
        // And an image input names what it takes when it is sent a vector.
        SampleDecoder.Result vector = decoder.decode(withTensor(DType.FLOAT32, List.of(784), ByteBuffer.allocate(784 * 4)));
        assertThat(vector.reason()).isEqualTo(RejectReason.SHAPE_MISMATCH);
        assertThat(vector.message()).contains("[784]", "[C, H, W]", "[1, 28, 28]");
    }

    /**
     * Token samples: INT32 ids of the vocabulary pass as they are; an id outside it, another
     * dtype or a wrong byte count is BAD_TENSOR naming the token, another shape SHAPE_MISMATCH
     * naming the expected length; and the replayed token set's records decode to its ids.
     */
    @Test
    void aTokenInputTakesInt32IdsOfItsVocabularyOnly() {
        SampleDecoder tokens = new SampleDecoder(4, 1, 1, 1 << 20).tokens(10);
        ByteBuffer ids = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(9).putInt(3).putInt(3);
        SampleDecoder.Result r = tokens.decode(withTensor(DType.INT32, List.of(4), ids.flip()));
        assertThat(r.ok()).as(r.message()).isTrue();
        assertThat(r.sample().pixels).containsExactly(0f, 9f, 3f, 3f);

        ByteBuffer outside = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(2).putInt(10).putInt(0);
        SampleDecoder.Result high = tokens.decode(withTensor(DType.INT32, List.of(4), outside.flip()));
        assertThat(high.reason()).isEqualTo(RejectReason.BAD_TENSOR);
        assertThat(high.message()).contains("token 2 is 10", "[0, 10)");
        ByteBuffer negative = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(-1).putInt(2).putInt(1).putInt(0);
        assertThat(tokens.decode(withTensor(DType.INT32, List.of(4), negative.flip())).message()).contains("token 0 is -1");
        SampleDecoder.Result floats = tokens.decode(withTensor(DType.FLOAT32, List.of(4), ByteBuffer.allocate(16)));
        assertThat(floats.reason()).isEqualTo(RejectReason.BAD_TENSOR);
        assertThat(floats.message()).contains("FLOAT32", "INT32");
        assertThat(tokens.decode(withTensor(DType.INT32, List.of(4), ByteBuffer.allocate(12))).reason()).isEqualTo(RejectReason.BAD_TENSOR);
        SampleDecoder.Result longer = tokens.decode(withTensor(DType.INT32, List.of(5), ByteBuffer.allocate(20)));
        assertThat(longer.reason()).isEqualTo(RejectReason.SHAPE_MISMATCH);
        assertThat(longer.message()).contains("[5]", "expected 4 tokens [4]");

        var words = images.set.asRowWords();
        SampleDecoder rows = new SampleDecoder(28, 1, 1, 1 << 20).tokens(words.vocab());
        for (int i = 0; i < 5; i++) {
            SampleDecoder.Result w = rows.decode(Samples.encode(Samples.sample(words, i, "w" + i, true)));
            assertThat(w.ok()).as(w.message()).isTrue();
            assertThat(w.sample().pixels).containsExactly(words.image(i));
        }
    }

    static io.kontrast.schemas.NamedTensor named(String name, DType dtype, List<Integer> shape, ByteBuffer data) {
        return io.kontrast.schemas.NamedTensor.newBuilder().setName(name)
                .setTensor(Tensor.newBuilder().setDtype(dtype).setShape(shape).setData(data).build()).build();
    }

    static ByteBuffer ints(int... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putInt(x);
        return b.flip();
    }

    byte[] graph(List<io.kontrast.schemas.NamedTensor> parts) {
        Sample s = Samples.sample(images.set, 0, "g", false);
        s.setParts(parts);
        return Samples.encode(s);
    }

    /**
     * Graph samples: the parts nodes, edges and centre become the packed graph, the centre first
     * (swapped with node 0) and the edges both ways; a replayed sbm-graphs record decodes to its
     * packed row; too many nodes, an edge or centre outside the graph, a missing part are dead
     * letters with reasons.
     */
    @Test
    void aGraphInputPacksNodesEdgesAndCentre() {
        int n = 4;
        int f = 2;
        int c = f + n + 1;
        SampleDecoder graphs = new SampleDecoder(c, 1, n, 1 << 20).graph(n, f);
        ByteBuffer feats = ByteBuffer.wrap(new byte[] {0, 51, 102, (byte) 153, (byte) 204, (byte) 255}); // 3 nodes
        SampleDecoder.Result r = graphs.decode(graph(List.of(named("nodes", DType.UINT8, List.of(3, 2), feats),
                named("edges", DType.INT32, List.of(2, 2), ints(0, 1, 1, 2)), named("centre", DType.INT32, List.of(1), ints(2)))));
        assertThat(r.ok()).as(r.message()).isTrue();
        float[] p = r.sample().pixels;
        // Node 0 is the old node 2 (features 0.8, 1), joined to the old node 1 (still node 1);
        // node 2 is the old node 0, joined to node 1; node 3 is absent.
        assertThat(java.util.Arrays.copyOfRange(p, 0, c)).containsExactly(0.8f, 1f, 0, 1, 0, 0, 1);
        assertThat(java.util.Arrays.copyOfRange(p, c, 2 * c)).containsExactly(0.4f, 0.6f, 1, 0, 1, 0, 1);
        assertThat(java.util.Arrays.copyOfRange(p, 2 * c, 3 * c)).containsExactly(0f, 0.2f, 0, 1, 0, 0, 1);
        assertThat(java.util.Arrays.copyOfRange(p, 3 * c, 4 * c)).containsOnly(0f);

        SampleDecoder.Result many = graphs.decode(graph(List.of(named("nodes", DType.UINT8, List.of(5, 2), ByteBuffer.allocate(10)),
                named("edges", DType.INT32, List.of(0, 2), ByteBuffer.allocate(0)))));
        assertThat(many.reason()).isEqualTo(RejectReason.SHAPE_MISMATCH);
        assertThat(many.message()).contains("[5, 2]", "n <= 4");
        SampleDecoder.Result outside = graphs.decode(graph(List.of(named("nodes", DType.UINT8, List.of(3, 2), ByteBuffer.allocate(6)),
                named("edges", DType.INT32, List.of(1, 2), ints(0, 3)))));
        assertThat(outside.reason()).isEqualTo(RejectReason.BAD_TENSOR);
        assertThat(outside.message()).contains("edge 0 joins 0 and 3");
        SampleDecoder.Result centre = graphs.decode(graph(List.of(named("nodes", DType.UINT8, List.of(3, 2), ByteBuffer.allocate(6)),
                named("edges", DType.INT32, List.of(0, 2), ByteBuffer.allocate(0)), named("centre", DType.INT32, List.of(1), ints(3)))));
        assertThat(centre.reason()).isEqualTo(RejectReason.BAD_TENSOR);
        assertThat(graphs.decode(graph(List.of(named("nodes", DType.UINT8, List.of(3, 2), ByteBuffer.allocate(6))))).reason())
                .isEqualTo(RejectReason.MISSING_FIELD);

        var sbm = io.kontrast.data.SbmGraphs.load("test").head(3);
        SampleDecoder packed = new SampleDecoder(io.kontrast.data.SbmGraphs.ROW, 1, io.kontrast.data.SbmGraphs.MAX_NODES, 1 << 20)
                .graph(io.kontrast.data.SbmGraphs.MAX_NODES, io.kontrast.data.SbmGraphs.FEATURES);
        for (int i = 0; i < 3; i++) {
            SampleDecoder.Result g = packed.decode(Samples.encode(Samples.sample(sbm, i, "g" + i, true)));
            assertThat(g.ok()).as(g.message()).isTrue();
            assertThat(g.sample().pixels).containsExactly(sbm.image(i));
        }
    }

    @Test
    void aSequenceInputTakesTxFTensorsAsTheyAre() {
        SampleDecoder sequences = new SampleDecoder(2, 1, 3, 1 << 20); // 3 steps of 2 features
        ByteBuffer data = ByteBuffer.allocate(6 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) data.putFloat(i);
        SampleDecoder.Result r = sequences.decode(withTensor(DType.FLOAT32, List.of(3, 2), data.flip()));
        assertThat(r.ok()).as(r.message()).isTrue();
        assertThat(r.sample().pixels).containsExactly(0f, 1f, 2f, 3f, 4f, 5f);
        SampleDecoder.Result transposed = sequences.decode(withTensor(DType.FLOAT32, List.of(2, 3), ByteBuffer.allocate(24)));
        assertThat(transposed.reason()).isEqualTo(RejectReason.SHAPE_MISMATCH);
        assertThat(transposed.message()).contains("[2, 3]", "expected a sequence [3, 2]");
        assertThat(sequences.decode(withTensor(DType.FLOAT32, List.of(6), ByteBuffer.allocate(24))).reason())
                .isEqualTo(RejectReason.SHAPE_MISMATCH);
    }

    @Test
    void tensorsOfOtherShapesAreFittedToTheEncodersInput() {
        // A 3x40x48 tensor whose red plane is 1, green 0.5, blue 0 everywhere.
        int h = 40;
        int w = 48;
        ByteBuffer rgb = ByteBuffer.allocate(3 * h * w);
        for (int i = 0; i < h * w; i++) {
            rgb.put(i, (byte) 255);
            rgb.put(h * w + i, (byte) 128);
        }
        var color = new SampleDecoder(3, 32, 32, 1 << 20).decode(withTensor(DType.UINT8, List.of(3, h, w), rgb));
        assertThat(color.ok()).as(String.valueOf(color.message())).isTrue();
        assertThat(color.sample().channels).isEqualTo(3);
        assertThat(color.sample().pixels).hasSize(3 * 32 * 32);
        for (int p = 0; p < 32 * 32; p++) {
            assertThat(color.sample().pixels[3 * p]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(color.sample().pixels[3 * p + 1]).isCloseTo(128 / 255f, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(color.sample().pixels[3 * p + 2]).isCloseTo(0f, org.assertj.core.data.Offset.offset(1e-5f));
        }
        var gray = new SampleDecoder(1, 28, 28, 1 << 20).decode(withTensor(DType.UINT8, List.of(3, h, w), rgb));
        assertThat(gray.sample().pixels[0]).isCloseTo((float) (0.299 + 0.587 * 128 / 255), org.assertj.core.data.Offset.offset(1e-5f));
        var replicated = new SampleDecoder(3, 28, 28, 1 << 20).decode(good(0));
        float[] px = replicated.sample().pixels;
        assertThat(px).hasSize(3 * 784);
        for (int p = 0; p < 784; p++) {
            assertThat(px[3 * p]).isEqualTo(px[3 * p + 1]).isEqualTo(px[3 * p + 2]);
        }
    }
}
