package io.kontrast.math.nn;

import static io.kontrast.math.nn.LayerSpec.batchNorm;
import static io.kontrast.math.nn.LayerSpec.conv1d;
import static io.kontrast.math.nn.LayerSpec.conv2d;
import static io.kontrast.math.nn.LayerSpec.flatten;
import static io.kontrast.math.nn.LayerSpec.globalAvgPool;
import static io.kontrast.math.nn.LayerSpec.linear;
import static io.kontrast.math.nn.LayerSpec.maxPool2d;
import static io.kontrast.math.nn.LayerSpec.relu;
import static io.kontrast.math.nn.LayerSpec.residual;

import java.util.ArrayList;
import java.util.List;

/** Named layer lists: the encoders Kontrast ships. A user's own list takes the same form. */
public final class Presets {
    private Presets() {}

    /**
     * {@code cnn}: conv3×3-{@code c1} → [BN] → ReLU → maxpool 2×2 → conv3×3-{@code c2} → [BN] →
     * ReLU → maxpool 2×2 → flatten → linear-{@code rep} → [BN] is the backbone; its output, before
     * the ReLU that starts the head, is the representation (centred by batch norm, it scored
     * higher on both probes than the ReLU output). Head: ReLU → linear-{@code rep} → [BN] → ReLU →
     * linear-{@code out}. The input's height and width must be multiples of 4.
     */
    public static EncoderSpec cnn(Shape input, int c1, int c2, int rep, int out, boolean batchNorm, boolean headBatchNorm) {
        if (input.height() % 4 != 0 || input.width() % 4 != 0) {
            throw new IllegalArgumentException("the cnn encoder needs a height and width that are multiples of 4, got " + input);
        }
        List<LayerSpec> backbone = new ArrayList<>();
        backbone.add(conv2d(c1, 3, 1, 1));
        if (batchNorm) backbone.add(batchNorm());
        backbone.addAll(List.of(relu(), maxPool2d(2, 2), conv2d(c2, 3, 1, 1)));
        if (batchNorm) backbone.add(batchNorm());
        backbone.addAll(List.of(relu(), maxPool2d(2, 2), flatten(), linear(rep)));
        if (batchNorm) backbone.add(batchNorm());
        List<LayerSpec> head = new ArrayList<>(List.of(relu(), linear(rep)));
        if (batchNorm && headBatchNorm) head.add(batchNorm());
        head.addAll(List.of(relu(), linear(out)));
        return new EncoderSpec(input, backbone, head);
    }

    /**
     * {@code cnn1d}, for sequences: conv1d-5-{@code c1} → BN → ReLU → conv1d-5-{@code c2}, stride 2 →
     * BN → ReLU → conv1d-3-{@code c2}, stride 2 → BN → ReLU → flatten → linear-{@code rep} → BN is
     * the backbone; the head is the {@code cnn}'s: ReLU → linear-{@code rep} → ReLU → linear-{@code
     * out}. It flattens rather than pooling over time, as the {@code cnn} does over the image: on
     * Fashion-MNIST's rows, pooling lost where in the image each row is (0.779 / 0.802 against the
     * raw rows' 0.789 / 0.829 at 300,000 samples).
     */
    public static EncoderSpec cnn1d(Shape input, int c1, int c2, int rep, int out) {
        if (!input.isSequence()) {
            throw new IllegalArgumentException("the cnn1d encoder needs a sequence input (TxF), got " + input);
        }
        List<LayerSpec> backbone = List.of(conv1d(c1, 5, 1, 2), batchNorm(), relu(), conv1d(c2, 5, 2, 2), batchNorm(), relu(),
                conv1d(c2, 3, 2, 1), batchNorm(), relu(), flatten(), linear(rep), batchNorm());
        List<LayerSpec> head = List.of(relu(), linear(rep), relu(), linear(out));
        return new EncoderSpec(input, backbone, head);
    }

    /**
     * {@code cnn1d-steps}: the default {@code cnn1d}'s convolutions, flattened: the representation is
     * every step's features of the last feature map ({@code ⌈T/4⌉ × 128}), with no layer after it
     * that an objective on the feature map (cpc) would leave untrained. Head: ReLU → linear-256 →
     * ReLU → linear-128.
     */
    public static EncoderSpec cnn1dSteps(Shape input) {
        EncoderSpec full = cnn1d(input);
        List<LayerSpec> backbone = full.backbone().subList(0, full.backbone().indexOf(flatten()) + 1);
        return new EncoderSpec(input, backbone, full.head());
    }

    /**
     * {@code gru}, for sequences: a GRU of {@code hidden} units over the steps, every step's hidden
     * state, flattened → linear-2·{@code hidden} → BN is the representation; head ReLU →
     * linear-2·{@code hidden} → ReLU → linear-{@code out}. Every step's state, as the {@code
     * cnn1d} keeps every step's features: the last state alone (kNN 0.775 on Fashion-MNIST's rows
     * with MoCo, GRU-256) and the mean over the steps (0.769) both scored below this (0.808).
     */
    public static EncoderSpec gru(Shape input, int hidden, int out) {
        if (!input.isSequence()) {
            throw new IllegalArgumentException("the gru encoder needs a sequence input (TxF), got " + input);
        }
        return new EncoderSpec(input, List.of(LayerSpec.gru(hidden, true), flatten(), linear(2 * hidden), batchNorm()),
                List.of(relu(), linear(2 * hidden), relu(), linear(out)));
    }

    /** The default {@code gru}: 128 units, a 256-wide representation, 128 out. */
    public static EncoderSpec gru(Shape input) {
        return gru(input, 128, 128);
    }

    /**
     * The MLP as a layer list, for any input: flatten → linear-512 → BN is the backbone; head ReLU
     * → linear-512 → ReLU → linear-128. A paired sample's tower where the {@code mlp} would be.
     */
    public static EncoderSpec mlp(Shape input) {
        return mlp(input, true);
    }

    /**
     * The MLP as a layer list; without batch norm, the {@code mlp} preset of images, vectors and
     * sequences: flatten → linear-512 → ReLU is the backbone (the representation), linear-512 →
     * ReLU → linear-128 the head.
     */
    public static EncoderSpec mlp(Shape input, boolean batchNorm) {
        if (batchNorm) {
            return new EncoderSpec(input, List.of(flatten(), linear(512), batchNorm()), List.of(relu(), linear(512), relu(), linear(128)));
        }
        return perceptron(input, 1, 512, 512, 128);
    }

    /**
     * A multi-layer perceptron: flatten, then linear layers of {@code widths} with a ReLU after
     * every one but the last; the first {@code backboneLayers} linear layers, each with its ReLU,
     * are the backbone, the rest the head.
     */
    public static EncoderSpec perceptron(Shape input, int backboneLayers, int... widths) {
        if (backboneLayers < 1 || backboneLayers >= widths.length) {
            throw new IllegalArgumentException("backboneLayers must be in 1.." + (widths.length - 1) + ": " + backboneLayers);
        }
        List<LayerSpec> backbone = new ArrayList<>(List.of(flatten()));
        List<LayerSpec> head = new ArrayList<>();
        for (int l = 0; l < widths.length; l++) {
            List<LayerSpec> part = l < backboneLayers ? backbone : head;
            part.add(linear(widths[l]));
            if (l < widths.length - 1) part.add(relu());
        }
        return new EncoderSpec(input, backbone, head);
    }

    /**
     * {@code gcn}, for graph samples (the packed {@code N × (F + N + 1)} input): graph_conv-128 →
     * ReLU → a residual block around graph_conv-128 → the centre node → BN is the backbone, the
     * centre's representation after one round of neighbourhood means plus what a second round
     * adds; head ReLU → linear-128 → ReLU → linear-128. The identity shortcut keeps the one-hop
     * features beside the two-hop ones, which a plain second graph_conv averages away (on
     * {@code sbm-graphs}: 0.888 / 0.904 against 0.842 / 0.875 at 300,000 samples).
     */
    public static EncoderSpec gcn(Shape packedGraph) {
        return new EncoderSpec(packedGraph, List.of(LayerSpec.graphConv(128), relu(),
                residual(List.of(LayerSpec.graphConv(128)), List.of()), LayerSpec.graphCentre(), batchNorm()),
                List.of(relu(), linear(128), relu(), linear(128)));
    }

    /** Width of the vectors that the token presets' {@code embedding} gives each token. */
    public static final int TOKEN_EMBEDDING = 64;

    /**
     * A sequence preset on token ids: {@code embedding} ({@code vocab} rows of {@value
     * #TOKEN_EMBEDDING}) first, which turns {@code steps} ids into a sequence of {@code steps}
     * steps, then the preset {@code sequencePreset} builds for that sequence.
     */
    public static EncoderSpec tokens(int steps, int vocab, java.util.function.Function<Shape, EncoderSpec> sequencePreset) {
        EncoderSpec over = sequencePreset.apply(Shape.sequence(steps, TOKEN_EMBEDDING));
        List<LayerSpec> backbone = new ArrayList<>();
        backbone.add(LayerSpec.embedding(vocab, TOKEN_EMBEDDING));
        backbone.addAll(over.backbone());
        return new EncoderSpec(Shape.vector(steps), backbone, over.head());
    }

    /** The default {@code cnn1d}: 64 and 128 channels, a 256-wide representation, 128 out. */
    public static EncoderSpec cnn1d(Shape input) {
        return cnn1d(input, 64, 128, 256, 128);
    }

    /** The default {@code cnn}: 32 and 64 channels, a 256-wide representation, 128 out, batch norm. */
    public static EncoderSpec cnn(Shape input) {
        return cnn(input, 32, 64, 256, 128, true, false);
    }

    /**
     * {@code resnet}: a small residual network. Stem conv3×3-{@code w} → BN → ReLU → maxpool 2×2;
     * then three stages of one basic block each (conv3×3 → BN → ReLU → conv3×3 → BN, plus the
     * input, then ReLU) at widths {@code w}, {@code 2w}, {@code 4w}, the last two with stride 2
     * and a 1×1 projection shortcut (conv → BN); global average pooling gives the {@code 4w}-wide
     * representation. Head: linear-{@code 2·4w} → BN → ReLU → linear-{@code out} (MoCo v2's MLP).
     */
    public static EncoderSpec resnet(Shape input, int width, int out) {
        int w1 = width;
        int w2 = 2 * width;
        int w3 = 4 * width;
        List<LayerSpec> backbone = new ArrayList<>(List.of(conv2d(w1, 3, 1, 1), batchNorm(), relu()));
        if (input.height() >= 16 && input.width() >= 16) {
            backbone.add(maxPool2d(2, 2));
        }
        backbone.add(block(w1, w1, 1));
        backbone.add(relu());
        backbone.add(block(w1, w2, 2));
        backbone.add(relu());
        backbone.add(block(w2, w3, 2));
        backbone.add(relu());
        backbone.add(globalAvgPool());
        List<LayerSpec> head = List.of(linear(2 * w3), batchNorm(), relu(), linear(out));
        return new EncoderSpec(input, backbone, head);
    }

    public static EncoderSpec resnet(Shape input) {
        return resnet(input, 32, 128);
    }

    /** A basic block from {@code in} to {@code out} channels; a projection where the shape changes. */
    private static LayerSpec block(int in, int out, int stride) {
        List<LayerSpec> body = List.of(conv2d(out, 3, stride, 1), batchNorm(), relu(), conv2d(out, 3, 1, 1), batchNorm());
        List<LayerSpec> shortcut = in == out && stride == 1 ? List.of() : List.of(conv2d(out, 1, stride, 0), batchNorm());
        return residual(body, shortcut);
    }
}
