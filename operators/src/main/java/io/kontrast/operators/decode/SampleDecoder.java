package io.kontrast.operators.decode;

import io.kontrast.schemas.DType;
import io.kontrast.schemas.NamedTensor;
import io.kontrast.schemas.Sample;
import io.kontrast.schemas.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;

/**
 * Decodes and validates one input record. Never throws: every failure is a {@link Result} with a
 * {@link RejectReason} and a message.
 *
 * <p>A record must be Avro single-object encoded ({@code C3 01}, 8-byte schema fingerprint, datum)
 * with a known {@link Sample} schema, carry a non-empty id, and hold a tensor the encoder takes, in
 * UINT8 (0..255, read as 0..1) or FLOAT32 (finite) with exactly the bytes its shape needs: for an
 * image input, an image ({@code [C, H, W]} with C = 1 or 3, or {@code [H, W]}), fitted to the
 * input's size; for a vector input of F features ({@code F×1×1}), a vector {@code [F]}; for a
 * sequence input of T steps of F features ({@code F×1×T}), a sequence {@code [T, F]}; for token
 * samples ({@link #tokens}), INT32 ids {@code [T]} in the vocabulary. Other
 * shapes are {@link RejectReason#SHAPE_MISMATCH}, with the expected and the found shape.
 *
 * <p>A decoder reuses its working objects between records: one per thread.
 */
public final class SampleDecoder {
    /** {@code b / 255f} for every byte value: a lookup is fast even before the JIT's last tier. */
    private static final float[] UNIT = new float[256];

    static {
        for (int b = 0; b < 256; b++) UNIT[b] = b / 255f;
    }

    private final int channels;
    private final int height;
    private final int width;
    private final int maxRecordBytes;
    private final Input input;
    /** A paired sample's parts, in order (null: not paired): their values are concatenated. */
    private final Input[] parts;
    private final String[] partNames;
    private final int partsSize;
    private final org.apache.avro.message.BinaryMessageDecoder<Sample> avro = io.kontrast.schemas.SampleSchemas.decoder();
    // The last decoded datum, which the next decode fills in again instead of allocating a new
    // record, tensor, shape list and data buffer. Nothing of it outlives decode: the sample gets
    // its own id string and pixel array.
    private Sample reuse;

    private String instanceAttribute = "instance";

    /** The attribute that names a sample's instance (see {@link ImageSample#instance}); null: none. */
    public SampleDecoder instanceAttribute(String name) {
        this.instanceAttribute = name == null || name.isEmpty() ? null : name;
        return this;
    }

    /**
     * Token samples of a vocabulary of {@code vocab} ids (0: not tokens): with a vector input of
     * {@code T}, only INT32 tensors {@code [T]} of ids in {@code [0, vocab)} pass.
     */
    public SampleDecoder tokens(int vocab) {
        if (vocab > 0 && (input == null || !input.vector)) {
            throw new IllegalArgumentException("token samples need a vector input of T ids");
        }
        if (input != null) input.vocab = vocab;
        return this;
    }

    /** Graph samples: the most nodes and the features per node (0: not graphs). */
    private int graphNodes;
    private int graphFeatures;

    /**
     * Graph samples of up to {@code nodes} nodes of {@code features} features: each record's parts
     * {@code nodes} ({@code [n, F]}, UINT8 or FLOAT32, {@code n <= nodes}), {@code edges} ({@code
     * [E, 2]} INT32, undirected pairs of node indices) and optionally {@code centre} ({@code [1]}
     * INT32, 0 when absent) become the packed graph, node after node: a node's features, its
     * adjacency row and 1 where it exists, the centre first (swapped with node 0).
     */
    public SampleDecoder graph(int nodes, int features) {
        if (nodes > 0 && (input == null || channels != features + nodes + 1 || width != nodes)) {
            throw new IllegalArgumentException("graph samples need a packed input of " + nodes + " x " + (features + nodes + 1));
        }
        this.graphNodes = nodes;
        this.graphFeatures = features;
        return this;
    }

    public SampleDecoder(int height, int width, int maxRecordBytes) {
        this(1, height, width, maxRecordBytes);
    }

    /**
     * A decoder for an encoder input of {@code channels × height × width}: tensors of that shape
     * pass as they are; others ({@code [C, H, W]} with C = 1 or 3, or {@code [H, W]}) are fitted to
     * it (see {@link ImageFit}). With {@code height} and {@code width} 1, the input is a vector of
     * {@code channels} features, and only tensors {@code [channels]} pass; with {@code height} 1
     * and {@code width} more, a sequence of {@code width} steps, and only {@code [width, channels]}
     * pass.
     */
    public SampleDecoder(int channels, int height, int width, int maxRecordBytes) {
        AvroLimits.apply();
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.maxRecordBytes = maxRecordBytes;
        this.input = new Input(channels, height, width, maxRecordBytes);
        this.parts = null;
        this.partNames = null;
        this.partsSize = 0;
    }

    /**
     * A decoder of paired samples: each record carries the named parts in {@code parts}, each
     * read as a sample of its shape alone would be (a vector and a sequence exactly, an image
     * fitted); the sample's values are the parts' values, concatenated in the given order. Its
     * {@link ImageSample} has the shape of a vector of all those values, or with one part only
     * (one tower's input), that part's shape.
     */
    public SampleDecoder(java.util.List<String> names, java.util.List<int[]> shapes, int maxRecordBytes) {
        AvroLimits.apply();
        this.maxRecordBytes = maxRecordBytes;
        this.input = null;
        this.parts = new Input[names.size()];
        this.partNames = names.toArray(String[]::new);
        int size = 0;
        for (int p = 0; p < parts.length; p++) {
            int[] sh = shapes.get(p);
            parts[p] = new Input(sh[0], sh[1], sh[2], maxRecordBytes);
            size += sh[0] * sh[1] * sh[2];
        }
        this.partsSize = size;
        // One part alone (a tower's input, as embed reads it) keeps its own shape.
        int[] only = shapes.size() == 1 ? shapes.get(0) : null;
        this.channels = only != null ? only[0] : size;
        this.height = only != null ? only[1] : 1;
        this.width = only != null ? only[2] : 1;
    }

    /** Either a sample or a reason. */
    public record Result(ImageSample sample, RejectReason reason, String message) {
        static Result ok(ImageSample s) {
            return new Result(s, null, null);
        }

        static Result reject(RejectReason reason, String message) {
            return new Result(null, reason, message);
        }

        public boolean ok() {
            return sample != null;
        }
    }

    public Result decode(byte[] value) {
        if (value == null || value.length == 0) {
            return Result.reject(RejectReason.EMPTY, "record has no value");
        }
        if (value.length > maxRecordBytes) {
            return Result.reject(
                    RejectReason.OVERSIZED,
                    "record of " + value.length + " bytes exceeds the limit of " + maxRecordBytes);
        }
        Sample sample;
        try {
            sample = avro.decode(value, reuse);
            reuse = sample;
        } catch (MissingSchemaException e) {
            return Result.reject(RejectReason.UNKNOWN_SCHEMA, "unknown schema fingerprint: " + e.getMessage());
        } catch (BadHeaderException e) {
            return Result.reject(RejectReason.NOT_AVRO, "not Avro single-object encoding: " + e.getMessage());
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            reuse = null; // possibly half-filled
            return Result.reject(RejectReason.NOT_AVRO, "malformed Avro datum: " + e);
        }
        try {
            return validate(sample);
        } catch (RuntimeException e) {
            return Result.reject(RejectReason.MISSING_FIELD, "invalid sample: " + e);
        }
    }

    private Result validate(Sample s) {
        if (s.getId() == null || s.getId().isEmpty()) {
            return Result.reject(RejectReason.MISSING_FIELD, "sample id is empty");
        }
        float[] pixels;
        if (graphNodes > 0) {
            Object graph = readGraph(s);
            if (graph instanceof Result reject) return reject;
            pixels = (float[]) graph;
        } else if (parts != null) {
            pixels = new float[partsSize];
            int at = 0;
            for (int p = 0; p < parts.length; p++) {
                Tensor t = null;
                for (NamedTensor nt : s.getParts()) {
                    if (partNames[p].contentEquals(nt.getName())) t = nt.getTensor();
                }
                if (t == null) {
                    return Result.reject(RejectReason.MISSING_FIELD, "sample " + s.getId() + " has no part '" + partNames[p]
                            + "'; a paired sample needs the parts " + java.util.Arrays.toString(partNames));
                }
                Read r = parts[p].read(t, s.getId(), "part '" + partNames[p] + "': ");
                if (r.reject() != null) return r.reject();
                System.arraycopy(r.pixels(), 0, pixels, at, r.pixels().length);
                at += r.pixels().length;
            }
        } else {
            Read r = input.read(s.getTensor(), s.getId(), "");
            if (r.reject() != null) return r.reject();
            pixels = r.pixels();
        }
        int label = s.getLabel() == null ? -1 : s.getLabel();
        ImageSample out = new ImageSample(s.getId(), s.getEventTime().toEpochMilli(), channels, height, width, pixels, label);
        if (instanceAttribute != null && s.getAttributes() != null) {
            Object instance = s.getAttributes().get(instanceAttribute);
            if (instance != null && !instance.toString().isEmpty()) {
                out.instance = instance.toString();
            }
        }
        return Result.ok(out);
    }

    private static Tensor part(Sample s, String name) {
        if (s.getParts() == null) return null;
        for (NamedTensor nt : s.getParts()) {
            if (name.contentEquals(nt.getName())) return nt.getTensor();
        }
        return null;
    }

    /** A graph sample's packed values, or the reason it is refused. */
    private Object readGraph(Sample s) {
        Tensor nodes = part(s, "nodes");
        Tensor edges = part(s, "edges");
        if (nodes == null || edges == null || nodes.getShape() == null || edges.getShape() == null || nodes.getData() == null
                || edges.getData() == null) {
            return Result.reject(RejectReason.MISSING_FIELD, "graph sample " + s.getId() + " needs the parts 'nodes' [n, "
                    + graphFeatures + "] and 'edges' [E, 2]");
        }
        List<Integer> ns = nodes.getShape();
        if (ns.size() != 2 || ns.get(1) != graphFeatures || ns.get(0) < 1 || ns.get(0) > graphNodes) {
            return Result.reject(RejectReason.SHAPE_MISMATCH, "part 'nodes': tensor shape " + ns + " does not fit the encoder's "
                    + "input: expected [n, " + graphFeatures + "] with 1 <= n <= " + graphNodes);
        }
        int n = ns.get(0);
        int f = graphFeatures;
        ByteBuffer data = nodes.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] x = new float[n * f];
        if (nodes.getDtype() == DType.UINT8 && data.remaining() == n * f) {
            for (int i = 0; i < x.length; i++) x[i] = UNIT[data.get() & 0xFF];
        } else if (nodes.getDtype() == DType.FLOAT32 && data.remaining() == 4 * n * f) {
            for (int i = 0; i < x.length; i++) {
                x[i] = data.getFloat();
                if (!Float.isFinite(x[i])) return Result.reject(RejectReason.NON_FINITE, "part 'nodes': value " + i + " is " + x[i]);
            }
        } else {
            return Result.reject(RejectReason.BAD_TENSOR, "part 'nodes': a UINT8 or FLOAT32 tensor of " + n * f + " values, got "
                    + nodes.getDtype() + " of " + data.remaining() + " bytes");
        }
        List<Integer> es = edges.getShape();
        ByteBuffer e = edges.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (es.size() != 2 || es.get(1) != 2 || edges.getDtype() != DType.INT32 || e.remaining() != 8L * es.get(0)) {
            return Result.reject(RejectReason.BAD_TENSOR, "part 'edges': expected an INT32 tensor [E, 2] of node index pairs, got "
                    + edges.getDtype() + " " + es + " of " + e.remaining() + " bytes");
        }
        int centre = 0;
        Tensor c = part(s, "centre");
        if (c != null) {
            ByteBuffer cb = c.getData() == null ? ByteBuffer.allocate(0) : c.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            if (c.getDtype() != DType.INT32 || cb.remaining() != 4) {
                return Result.reject(RejectReason.BAD_TENSOR, "part 'centre': expected one INT32 node index");
            }
            centre = cb.getInt();
            if (centre < 0 || centre >= n) {
                return Result.reject(RejectReason.BAD_TENSOR, "part 'centre': node " + centre + " of a graph of " + n + " nodes");
            }
        }
        int packed = f + graphNodes + 1;
        float[] out = new float[graphNodes * packed];
        // The centre becomes node 0, node 0 takes its place.
        int[] at = new int[n];
        for (int i = 0; i < n; i++) at[i] = i == centre ? 0 : i == 0 ? centre : i;
        for (int i = 0; i < n; i++) {
            System.arraycopy(x, i * f, out, at[i] * packed, f);
            out[at[i] * packed + f + graphNodes] = 1;
        }
        int count = es.get(0);
        for (int k = 0; k < count; k++) {
            int a = e.getInt();
            int b = e.getInt();
            if (a < 0 || a >= n || b < 0 || b >= n) {
                return Result.reject(RejectReason.BAD_TENSOR, "part 'edges': edge " + k + " joins " + a + " and " + b
                        + ", not nodes of a graph of " + n);
            }
            if (a == b) continue; // every node has its self loop
            out[at[a] * packed + f + at[b]] = 1;
            out[at[b] * packed + f + at[a]] = 1;
        }
        return out;
    }

    /** A tensor's values, or why they were refused. */
    private record Read(float[] pixels, Result reject) {
        static Read reject(RejectReason reason, String message) {
            return new Read(null, Result.reject(reason, message));
        }
    }

    /** Reads tensors for one input: an image (fitted), a vector or a sequence. */
    private static final class Input {
        private final int channels;
        private final int height;
        private final int width;
        private final int maxRecordBytes;
        private final boolean vector;
        private final boolean sequence;
        /** Token samples: the vocabulary size; 0 otherwise. */
        private int vocab;

        Input(int channels, int height, int width, int maxRecordBytes) {
            this.channels = channels;
            this.height = height;
            this.width = width;
            this.maxRecordBytes = maxRecordBytes;
            this.vector = height == 1 && width == 1;
            this.sequence = height == 1 && width > 1;
        }

        Read read(Tensor t, CharSequence id, String prefix) {
            if (t == null || t.getShape() == null || t.getData() == null || t.getDtype() == null) {
                return Read.reject(RejectReason.MISSING_FIELD, prefix + "sample " + id + " has no tensor");
            }
            List<Integer> shape = t.getShape();
            if (vocab > 0) return readTokens(t, shape, prefix);
            int c;
            int h;
            int w;
            if (vector) {
                if (shape.size() != 1 || shape.get(0) != channels) {
                    return Read.reject(RejectReason.SHAPE_MISMATCH,
                            prefix + "tensor shape " + shape + " does not fit the encoder's input: expected [" + channels + "]");
                }
                c = channels;
                h = 1;
                w = 1;
            } else if (sequence) {
                if (shape.size() != 2 || shape.get(0) != width || shape.get(1) != channels) {
                    return Read.reject(RejectReason.SHAPE_MISMATCH, prefix + "tensor shape " + shape
                            + " does not fit the encoder's input: expected a sequence [" + width + ", " + channels + "]");
                }
                c = channels;
                h = 1;
                w = width;
            } else if (shape.size() == 3 && (shape.get(0) == 1 || shape.get(0) == 3)) {
                c = shape.get(0);
                h = shape.get(1);
                w = shape.get(2);
            } else if (shape.size() == 2) {
                c = 1;
                h = shape.get(0);
                w = shape.get(1);
            } else {
                return Read.reject(RejectReason.SHAPE_MISMATCH, prefix + "tensor shape " + shape
                        + " does not fit the encoder's input: expected an image, [C, H, W] with C = 1 or 3, or [H, W], fitted to ["
                        + channels + ", " + height + ", " + width + "]");
            }
            if (h < 1 || w < 1 || (long) c * h * w > maxRecordBytes) {
                return Read.reject(RejectReason.BAD_TENSOR, prefix + "tensor shape " + shape + " has no pixels or more values than the record has bytes");
            }
            int n = c * h * w;
            ByteBuffer data = t.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            float[] pixels = new float[n];
            if (t.getDtype() == DType.UINT8) {
                if (data.remaining() != n) {
                    return Read.reject(RejectReason.BAD_TENSOR, prefix + "UINT8 tensor needs " + n + " bytes, has " + data.remaining());
                }
                byte[] bytes;
                int at;
                if (data.hasArray()) {
                    bytes = data.array();
                    at = data.arrayOffset() + data.position();
                } else {
                    bytes = new byte[n];
                    data.get(bytes);
                    at = 0;
                }
                for (int i = 0; i < n; i++) {
                    pixels[i] = UNIT[bytes[at + i] & 0xFF];
                }
            } else if (t.getDtype() == DType.FLOAT32) {
                if (data.remaining() != 4 * n) {
                    return Read.reject(RejectReason.BAD_TENSOR, prefix + "FLOAT32 tensor needs " + 4 * n + " bytes, has " + data.remaining());
                }
                for (int i = 0; i < n; i++) {
                    float v = data.getFloat();
                    if (!Float.isFinite(v)) {
                        return Read.reject(RejectReason.NON_FINITE, prefix + "pixel " + i + " is " + v);
                    }
                    pixels[i] = v;
                }
            } else {
                return Read.reject(RejectReason.BAD_TENSOR, prefix + "dtype " + t.getDtype() + " is not UINT8 or FLOAT32");
            }
            if (c == 3 && !vector && !sequence) {
                // The wire's [C, H, W] to the trainer's interleaved (h, w, c).
                float[] hwc = new float[n];
                int area = h * w;
                for (int p = 0; p < area; p++) {
                    hwc[3 * p] = pixels[p];
                    hwc[3 * p + 1] = pixels[area + p];
                    hwc[3 * p + 2] = pixels[2 * area + p];
                }
                pixels = hwc;
            }
            if (!vector && !sequence && (c != channels || h != height || w != width)) {
                pixels = ImageFit.fit(pixels, c, h, w, channels, height, width);
            }
            return new Read(pixels, null);
        }

        /** A sample of {@code channels} token ids, INT32 in {@code [0, vocab)}, as floats. */
        private Read readTokens(Tensor t, List<Integer> shape, String prefix) {
            if (shape.size() != 1 || shape.get(0) != channels) {
                return Read.reject(RejectReason.SHAPE_MISMATCH, prefix + "tensor shape " + shape
                        + " does not fit the encoder's input: expected " + channels + " tokens [" + channels + "]");
            }
            if (t.getDtype() != DType.INT32) {
                return Read.reject(RejectReason.BAD_TENSOR, prefix + "dtype " + t.getDtype() + " is not INT32 (token ids)");
            }
            ByteBuffer data = t.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            if (data.remaining() != 4 * channels) {
                return Read.reject(RejectReason.BAD_TENSOR, prefix + "INT32 tensor needs " + 4 * channels + " bytes, has " + data.remaining());
            }
            float[] ids = new float[channels];
            for (int i = 0; i < channels; i++) {
                int id = data.getInt();
                if (id < 0 || id >= vocab) {
                    return Read.reject(RejectReason.BAD_TENSOR, prefix + "token " + i + " is " + id + ", outside the vocabulary [0, "
                            + vocab + ")");
                }
                ids[i] = id;
            }
            return new Read(ids, null);
        }
    }
}
