package io.kontrast.math.nn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A layer list as JSON, for {@code --encoder-spec}:
 *
 * <pre>{@code
 * {"input_shape": [3, 32, 32],
 *  "backbone": [{"kind": "conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
 *               {"kind": "batch_norm"}, {"kind": "relu"},
 *               {"kind": "residual", "body": [...], "shortcut": [...]},
 *               {"kind": "global_avg_pool"}],
 *  "head": [{"kind": "linear", "out_features": 128}]}
 * }</pre>
 *
 * <p>Attributes use the snapshot vocabulary: {@code out_channels}, {@code kernel_size}, {@code
 * stride} (default 1 for the convolutions, the kernel size for pooling) and {@code padding}
 * (default 0) for {@code conv2d} and {@code conv1d}; {@code kernel_size} and {@code stride} for the pools; {@code out_features} for
 * {@code linear}; {@code hidden_size} and {@code output} ({@code last}, the default, or {@code sequence}) for {@code gru}; {@code num_embeddings} and {@code embedding_dim} for {@code embedding}; {@code body} and {@code shortcut} (optional: identity) for {@code residual}.
 * {@code input_shape} is optional; the trainer's {@code --input-shape} applies otherwise, and the
 * two must agree. Every error names the layer by its path, such as {@code backbone[3].body[0]}.
 */
public final class SpecJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Set<String>> ATTRIBUTES = Map.of(
            "conv2d", Set.of("out_channels", "kernel_size", "stride", "padding"),
            "conv1d", Set.of("out_channels", "kernel_size", "stride", "padding"),
            "max_pool2d", Set.of("kernel_size", "stride"),
            "avg_pool2d", Set.of("kernel_size", "stride"),
            "linear", Set.of("out_features"),
            "gru", Set.of("hidden_size", "output"),
            "embedding", Set.of("num_embeddings", "embedding_dim"),
            "graph_conv", Set.of("out_features"),
            "residual", Set.of("body", "shortcut"));

    private SpecJson() {}

    /** Parses a spec; {@code input} is the shape to use when the JSON gives none (may be null). */
    public static EncoderSpec parse(String json, Shape input) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object with \"backbone\" and \"head\" layer lists");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("input_shape", "backbone", "head").contains(f)) {
                throw new IllegalArgumentException("unknown field '" + f + "'; expected input_shape, backbone and head");
            }
        }
        Shape shape = input;
        if (root.has("input_shape")) {
            JsonNode s = root.get("input_shape");
            if (!s.isArray() || s.size() != 3 && s.size() != 1) {
                throw new IllegalArgumentException("input_shape must be [C, H, W] or [F], got " + s);
            }
            Shape given = s.size() == 1 ? Shape.vector(s.get(0).asInt()) : new Shape(s.get(0).asInt(), s.get(1).asInt(), s.get(2).asInt());
            if (input != null && !input.equals(given)) {
                throw new IllegalArgumentException("input_shape " + given + " differs from the configured input shape " + input);
            }
            shape = given;
        }
        if (shape == null) {
            throw new IllegalArgumentException("no input_shape given");
        }
        return new EncoderSpec(shape, list(root.get("backbone"), "backbone", true), list(root.get("head"), "head", false));
    }

    private static List<LayerSpec> list(JsonNode node, String path, boolean required) {
        if (node == null || node.isNull()) {
            if (required) throw new IllegalArgumentException(path + ": a list of layers is required");
            return List.of();
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(path + ": expected a list of layers, got " + node.getNodeType());
        }
        List<LayerSpec> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) out.add(layer(node.get(i), path + "[" + i + "]"));
        if (required && out.isEmpty()) {
            throw new IllegalArgumentException(path + ": needs at least one layer");
        }
        return out;
    }

    private static LayerSpec layer(JsonNode n, String path) {
        if (!n.isObject() || !n.has("kind") || !n.get("kind").isTextual()) {
            throw new IllegalArgumentException(path + ": expected an object with a \"kind\", got " + n);
        }
        String kind = n.get("kind").asText();
        if (!LayerSpec.KINDS.contains(kind)) {
            throw new IllegalArgumentException(path + ": unknown kind '" + kind + "'; known: " + new java.util.TreeSet<>(LayerSpec.KINDS));
        }
        Set<String> allowed = ATTRIBUTES.getOrDefault(kind, Set.of());
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("kind") && !allowed.contains(f)) {
                throw new IllegalArgumentException(path + " (" + kind + "): unknown attribute '" + f + "'"
                        + (allowed.isEmpty() ? "; it takes none" : "; it takes " + new java.util.TreeSet<>(allowed)));
            }
        }
        return switch (kind) {
            case "conv2d" -> LayerSpec.conv2d(integer(n, "out_channels", path, -1), integer(n, "kernel_size", path, -1),
                    integer(n, "stride", path, 1), integer(n, "padding", path, 0));
            case "conv1d" -> LayerSpec.conv1d(integer(n, "out_channels", path, -1), integer(n, "kernel_size", path, -1),
                    integer(n, "stride", path, 1), integer(n, "padding", path, 0));
            case "max_pool2d", "avg_pool2d" -> {
                int k = integer(n, "kernel_size", path, -1);
                int s = integer(n, "stride", path, k);
                yield kind.equals("max_pool2d") ? LayerSpec.maxPool2d(k, s) : LayerSpec.avgPool2d(k, s);
            }
            case "linear" -> LayerSpec.linear(integer(n, "out_features", path, -1));
            case "graph_conv" -> LayerSpec.graphConv(integer(n, "out_features", path, -1));
            case "gru" -> LayerSpec.gru(integer(n, "hidden_size", path, -1), gruOutput(n, path));
            case "embedding" -> LayerSpec.embedding(integer(n, "num_embeddings", path, -1), integer(n, "embedding_dim", path, -1));
            case "residual" -> LayerSpec.residual(list(n.get("body"), path + ".body", true), list(n.get("shortcut"), path + ".shortcut", false));
            default -> new LayerSpec(kind, 0, 0, 0, 0, List.of(), List.of());
        };
    }

    /** A gru's {@code output}: {@code last} (the default) or {@code sequence}; true for the latter. */
    private static boolean gruOutput(JsonNode n, String path) {
        JsonNode v = n.get("output");
        if (v == null) return false;
        if (!v.isTextual() || !v.asText().equals("last") && !v.asText().equals("sequence")) {
            throw new IllegalArgumentException(path + " (gru): output must be \"last\" or \"sequence\", got " + v);
        }
        return v.asText().equals("sequence");
    }

    /** An integer attribute; {@code fallback} -1 means required. */
    private static int integer(JsonNode n, String name, String path, int fallback) {
        JsonNode v = n.get(name);
        if (v == null) {
            if (fallback < 0) throw new IllegalArgumentException(path + " (" + n.get("kind").asText() + "): missing " + name);
            return fallback;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(path + " (" + n.get("kind").asText() + "): " + name + " must be an integer, got " + v);
        }
        return v.asInt();
    }

    /** The JSON form of a spec, as {@link #parse} reads it. */
    public static String write(EncoderSpec spec) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode shape = root.putArray("input_shape");
        shape.add(spec.input().channels()).add(spec.input().height()).add(spec.input().width());
        write(root.putArray("backbone"), spec.backbone());
        write(root.putArray("head"), spec.head());
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(ArrayNode into, List<LayerSpec> layers) {
        for (LayerSpec l : layers) {
            ObjectNode o = into.addObject();
            o.put("kind", l.kind());
            switch (l.kind()) {
                case "conv2d", "conv1d" -> o.put("out_channels", l.out()).put("kernel_size", l.kernel()).put("stride", l.stride()).put("padding", l.padding());
                case "max_pool2d", "avg_pool2d" -> o.put("kernel_size", l.kernel()).put("stride", l.stride());
                case "linear", "graph_conv" -> o.put("out_features", l.out());
                case "gru" -> o.put("hidden_size", l.out()).put("output", l.everyStep() ? "sequence" : "last");
                case "embedding" -> o.put("num_embeddings", l.vocab()).put("embedding_dim", l.out());
                case "residual" -> {
                    write(o.putArray("body"), l.body());
                    write(o.putArray("shortcut"), l.shortcut());
                }
                default -> { }
            }
        }
    }
}
