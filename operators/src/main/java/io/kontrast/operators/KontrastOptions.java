package io.kontrast.operators;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Every option of Kontrast's jobs, with its default. The README's table lists the same. */
public final class KontrastOptions {
    private KontrastOptions() {}

    public static final ConfigOption<String> BOOTSTRAP =
            ConfigOptions.key("kontrast.kafka.bootstrap")
                    .stringType()
                    .defaultValue("localhost:9092")
                    .withDescription("Kafka bootstrap servers.");

    public static final ConfigOption<String> KAFKA_CONFIG_FILE =
            ConfigOptions.key("kontrast.kafka.config-file")
                    .stringType()
                    .defaultValue("")
                    .withDescription("A Java properties file of Kafka client settings (security.protocol, sasl.*, ssl.*, ...) "
                            + "for every Kafka client of the job, read when the job is built: only its path is in the "
                            + "configuration, so secrets in it are not shown with the configuration.");

    public static final ConfigOption<String> SAMPLES_TOPIC =
            ConfigOptions.key("kontrast.topic.samples")
                    .stringType()
                    .defaultValue("samples")
                    .withDescription("Topic of Avro Sample records to learn from.");

    public static final ConfigOption<String> DLQ_TOPIC =
            ConfigOptions.key("kontrast.topic.dead-letters")
                    .stringType()
                    .defaultValue("samples.dlq")
                    .withDescription("Topic that receives a DeadLetter for every unusable input record.");

    public static final ConfigOption<String> SNAPSHOTS_TOPIC =
            ConfigOptions.key("kontrast.topic.snapshots")
                    .stringType()
                    .defaultValue("encoder-snapshots")
                    .withDescription("Topic the trainer publishes EncoderSnapshot records to (exactly-once).");

    public static final ConfigOption<String> GROUP_ID =
            ConfigOptions.key("kontrast.kafka.group-id")
                    .stringType()
                    .defaultValue("kontrast-trainer")
                    .withDescription("Consumer group of the samples source.");

    public static final ConfigOption<String> MODEL_ID =
            ConfigOptions.key("kontrast.model.id")
                    .stringType()
                    .defaultValue("kontrast")
                    .withDescription("Model id written into every snapshot; also the snapshot record key.");

    public static final ConfigOption<String> ENCODER =
            ConfigOptions.key("kontrast.encoder")
                    .stringType()
                    .defaultValue("auto")
                    .withDescription("Encoder preset: mlp (one 512-wide layer as the backbone; 512-128 head), cnn "
                            + "(conv3x3-32, pool, conv3x3-64, pool, fc-256 backbone; 256-256-128 head), cnn1d (for "
                            + "sequences: three conv1d layers, flattened over time, fc-256), cnn1d-steps (cnn1d's "
                            + "convolutions, every step's features flattened as the representation: what cpc trains), gru "
                            + "(for sequences: a GRU of 256 units, its last state), resnet (a small residual network, see "
                            + "kontrast.resnet.width), custom (the layer list in kontrast.encoder.spec), or auto: the best "
                            + "preset for the input shape (mlp for 1x28x28 and vectors, cnn1d for sequences, cnn1d-steps "
                            + "with cpc, cnn otherwise; custom when a spec file is given).");

    public static final ConfigOption<String> ENCODER_SPEC =
            ConfigOptions.key("kontrast.encoder.spec")
                    .stringType()
                    .defaultValue("")
                    .withDescription("A JSON file with the encoder's own layer list (input_shape, backbone, head); "
                            + "read and validated at startup, so the file need exist only where the job is submitted.");

    public static final ConfigOption<String> INPUT_SHAPE =
            ConfigOptions.key("kontrast.input.shape")
                    .stringType()
                    .defaultValue("1x28x28")
                    .withDescription("Shape of the encoder's input, CxHxW (channels, height, width), such as 1x28x28 or "
                            + "3x32x32. Samples of another shape are dead letters.");

    public static final ConfigOption<String> INPUT_PARTS =
            ConfigOptions.key("kontrast.input.parts")
                    .stringType()
                    .defaultValue("")
                    .withDescription("Paired samples: the two named parts each record carries in its parts field, with "
                            + "their shapes, such as top=1x14x28,bottom=1x14x28 (then kontrast.input.shape is not used). "
                            + "Each part gets a tower of its own, the preset auto takes for its shape; the objective is "
                            + "clip. Empty: samples are not paired.");

    public static final ConfigOption<String> INPUT_FORMAT =
            ConfigOptions.key("kontrast.input.format")
                    .stringType()
                    .defaultValue("sample")
                    .withDescription("What the samples topic carries: sample (Kontrast's Avro Sample, any [C, H, W] with "
                            + "C = 1 or 3) or image (each record value an encoded image: JPEG, PNG, GIF or BMP; the key, "
                            + "if any, is the sample id). Either is fitted to the input shape: channels converted, the "
                            + "shorter side resized, the centre cropped.");

    public static final ConfigOption<Long> MAX_PIXELS =
            ConfigOptions.key("kontrast.input.max-pixels")
                    .longType()
                    .defaultValue(16_777_216L)
                    .withDescription("Encoded images claiming more pixels than this are dead letters (OVERSIZED), "
                            + "refused from their header before decoding.");

    public static final ConfigOption<Integer> RESNET_WIDTH =
            ConfigOptions.key("kontrast.resnet.width")
                    .intType()
                    .defaultValue(32)
                    .withDescription("Channels of the resnet encoder's first stage; its stages have w, 2w and 4w, and "
                            + "the representation 4w values.");

    public static final ConfigOption<Integer> CNN_WIDTH =
            ConfigOptions.key("kontrast.cnn.width")
                    .intType()
                    .defaultValue(32)
                    .withDescription("Channels of the cnn encoder's first convolution; the second has twice as many. "
                            + "Changes the parameter layout, so a checkpoint restores only with the same width.");

    public static final ConfigOption<Boolean> BATCH_NORM =
            ConfigOptions.key("kontrast.cnn.batch-norm")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Batch norm after each convolution and the fc layer of the cnn encoder "
                            + "(folded into the published weights).");

    public static final ConfigOption<Boolean> HEAD_BATCH_NORM =
            ConfigOptions.key("kontrast.cnn.head-batch-norm")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription("Batch norm on the hidden layer of the cnn encoder's projection head (with "
                            + "kontrast.cnn.batch-norm); changes the parameter layout, so a checkpoint restores only "
                            + "with the same setting.");

    public static final ConfigOption<Integer> BN_GROUPS =
            ConfigOptions.key("kontrast.cnn.bn-groups")
                    .intType()
                    .defaultValue(4)
                    .withDescription("Split batch norm: in training, each of this many groups of a batch is normalised "
                            + "with its own statistics, and keys are encoded in a shuffled order (MoCo's shuffle BN). "
                            + "1 normalises the whole batch together.");

    public static final ConfigOption<String> OBJECTIVE =
            ConfigOptions.key("kontrast.objective")
                    .stringType()
                    .defaultValue("moco")
                    .withDescription("Contrastive objective: moco (MoCo v2: InfoNCE against a queue of keys from a momentum "
                            + "encoder), simclr (NT-Xent over the 2N views of a batch), simsiam (a predictor, negative "
                            + "cosine, stop-gradient; no negatives), byol (SimSiam's predictor against an EMA target "
                            + "network at kontrast.key.momentum), instdisc (a memory bank of one feature per instance, "
                            + "sampled softmax), dim (Deep InfoMax, global-local InfoNCE on the backbone's last feature map) "
                            + ", context (context prediction: two patches of an image, a head predicts "
                            + "where the second lies around the first), sop (sentence-order prediction, for sequences: "
                            + "two consecutive segments, in order or swapped, a head predicts which) or cpc (contrastive "
                            + "predictive coding, for sequences: a GRU over the feature map's steps predicts the next "
                            + "kontrast.cpc.steps-ahead steps against the batch's other sequences) or clip (for paired "
                            + "samples, kontrast.input.parts: a tower per part, symmetric InfoNCE between the parts with "
                            + "a learned temperature).");

    public static final ConfigOption<Integer> CPC_STEPS_AHEAD =
            ConfigOptions.key("kontrast.cpc.steps-ahead")
                    .intType()
                    .defaultValue(3)
                    .withDescription("cpc: how many steps of the feature map each context predicts, from "
                            + "kontrast.cpc.min-offset on (the farthest below the map's steps).");

    public static final ConfigOption<Double> CLIP_MAX_SCALE =
            ConfigOptions.key("kontrast.clip.max-scale")
                    .doubleType()
                    .defaultValue(25.0)
                    .withDescription("clip: the largest value of the learned logit scale (the inverse temperature), "
                            + "at least 1. CLIP's 100 is for batches of 32,768; at a trainer's batches, 25 scored "
                            + "better on every probe and on retrieval.");

    public static final ConfigOption<String> DIM_VIEWS =
            ConfigOptions.key("kontrast.dim.views")
                    .stringType()
                    .defaultValue("across")
                    .withDescription("dim: which view's global feature each location of the feature map scores: across (the "
                            + "other view's, as AMDIM does: kNN well above the untrained encoder) or same (its own view's, "
                            + "Deep InfoMax as published: kNN below it).");

    public static final ConfigOption<Double> CLIP_IN_PART_WEIGHT =
            ConfigOptions.key("kontrast.clip.in-part-weight")
                    .doubleType()
                    .defaultValue(0.5)
                    .withDescription("clip: the weight of a second term beside CLIP's, in [0, 100]: each tower tells its "
                            + "own part's two views from the batch's other views (SimCLR's NT-Xent at kontrast.temperature, "
                            + "as SLIP adds it). 0: CLIP alone, whose embeddings align the parts but do not gather a "
                            + "class (kNN below untrained towers); 0.5 lifted kNN above them for a little retrieval.");

    public static final ConfigOption<String> CLIP_PART_VIEWS =
            ConfigOptions.key("kontrast.clip.part-views")
                    .stringType()
                    .defaultValue("vector")
                    .withDescription("clip: the views of a pair's parts: vector (each part normalised, with noise and "
                            + "masking: keeps what one part says about the other, for retrieval) or kind (each part its own "
                            + "kind's views, crops and flips for an image part: better per-part embeddings, much worse "
                            + "cross-part retrieval).");

    public static final ConfigOption<String> DGI_CORRUPTION =
            ConfigOptions.key("kontrast.dgi.corruption")
                    .stringType()
                    .defaultValue("batch")
                    .withDescription("dgi: where a corrupted neighbourhood's node features come from: batch (random "
                            + "nodes of the batch's other neighbourhoods, as DGI's shuffle over the whole graph) or "
                            + "neighbourhood (its own nodes' features, shuffled among them).");

    public static final ConfigOption<Integer> CPC_MIN_OFFSET =
            ConfigOptions.key("kontrast.cpc.min-offset")
                    .intType()
                    .defaultValue(0)
                    .withDescription("cpc: the nearest step of the feature map predicted; 0 (auto): the nearest whose "
                            + "latent sees none of the input steps the context has seen (neighbouring latents of a "
                            + "convolutional encoder overlap, and a target that shares inputs with its context is "
                            + "predicted by copying). Offsets min-offset to min-offset + steps-ahead - 1 are predicted.");

    public static final ConfigOption<Integer> CPC_CONTEXT_SIZE =
            ConfigOptions.key("kontrast.cpc.context-size")
                    .intType()
                    .defaultValue(128)
                    .withDescription("cpc: units of the GRU that summarises the steps so far into a context.");

    public static final ConfigOption<Integer> PREDICTOR_HIDDEN =
            ConfigOptions.key("kontrast.objective.predictor-hidden")
                    .intType()
                    .defaultValue(512)
                    .withDescription("Hidden width of the predictor MLP of simsiam and byol, and of context's position "
                            + "classifier (linear, batch norm, ReLU, linear).");

    public static final ConfigOption<Boolean> STOP_GRADIENT =
            ConfigOptions.key("kontrast.objective.stop-gradient")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("simsiam's stop-gradient on the target view. false makes the encoder collapse, which the "
                            + "collapse alarm catches: for demonstrations and tests only.");

    public static final ConfigOption<Integer> INSTDISC_NEGATIVES =
            ConfigOptions.key("kontrast.instdisc.negatives")
                    .intType()
                    .defaultValue(4096)
                    .withDescription("instdisc: bank entries drawn as negatives per step (m).");

    public static final ConfigOption<Integer> INSTDISC_BANK_SIZE =
            ConfigOptions.key("kontrast.instdisc.bank-size")
                    .intType()
                    .defaultValue(65536)
                    .withDescription("instdisc: instances the memory bank holds per trainer shard; when it is full, a new "
                            + "instance takes the slot of the one written first.");

    public static final ConfigOption<Double> INSTDISC_BANK_MOMENTUM =
            ConfigOptions.key("kontrast.instdisc.bank-momentum")
                    .doubleType()
                    .defaultValue(0.5)
                    .withDescription("instdisc: momentum of a bank entry's update towards the instance's new feature, in [0, 1).");

    public static final ConfigOption<Double> INSTDISC_TEMPERATURE =
            ConfigOptions.key("kontrast.instdisc.temperature")
                    .doubleType()
                    .defaultValue(0.07)
                    .withDescription("instdisc: temperature of its sampled softmax, in (0, 10] (the paper's 0.07).");

    public static final ConfigOption<Double> CONTEXT_GAP =
            ConfigOptions.key("kontrast.context.gap")
                    .doubleType()
                    .defaultValue(0.05)
                    .withDescription("context: the gap between the cells of the patch grid, as a fraction of the image's "
                            + "shorter side, in [0, 0.3].");

    public static final ConfigOption<Double> SOP_OTHER_FRACTION =
            ConfigOptions.key("kontrast.sop.other-fraction")
                    .doubleType()
                    .defaultValue(0.0)
                    .withDescription("sop: the share of pairs whose later segment is another sample's of the batch (BERT's "
                            + "random next segment), a third class beside in order and swapped, in [0, 1); 0: ALBERT's "
                            + "two classes.");

    public static final ConfigOption<String> BYOL_TARGET_MOMENTUM =
            ConfigOptions.key("kontrast.byol.target-momentum")
                    .stringType()
                    .defaultValue("constant")
                    .withDescription("byol: the target network's EMA momentum. cosine: 1 - (1 - m) x the learning-rate "
                            + "schedule's cosine factor, m being kontrast.key.momentum, so it rises from m towards 1 over "
                            + "each cosine cycle (BYOL's schedule, restarted with the rate); constant: m throughout.");

    public static final ConfigOption<Double> SOP_CONTRAST_WEIGHT =
            ConfigOptions.key("kontrast.sop.contrast-weight")
                    .doubleType()
                    .defaultValue(1.0)
                    .withDescription("sop: the weight of a content term beside the order head, as ALBERT trains SOP beside "
                            + "masked language modelling: NT-Xent at kontrast.temperature in which a sample's two segments are "
                            + "each other's positive and the batch's other segments the negatives, in [0, 100]; 0: the order "
                            + "head alone.");

    public static final ConfigOption<Double> CONTEXT_JITTER =
            ConfigOptions.key("kontrast.context.jitter")
                    .doubleType()
                    .defaultValue(0.04)
                    .withDescription("context: the largest shift of each patch from its cell, as a fraction of the shorter "
                            + "side, in [0, 0.2].");

    public static final ConfigOption<String> INSTANCE_ATTRIBUTE =
            ConfigOptions.key("kontrast.instdisc.instance-attribute")
                    .stringType()
                    .defaultValue("instance")
                    .withDescription("The Sample attribute that names the object a sample shows, so that repeat sightings "
                            + "share one bank entry; samples without it are their own instance (their id).");

    public static final ConfigOption<String> REPLAY_POLICY =
            ConfigOptions.key("kontrast.replay.policy")
                    .stringType()
                    .defaultValue("reservoir")
                    .withDescription("The replay buffer between the stream and the steps: none (train on the stream as it "
                            + "comes), reservoir (a uniform sample of all read so far) or min-redundancy (a new sample evicts "
                            + "the buffered one whose nearest neighbour is the most similar). With a buffer, training batches "
                            + "are drawn from it as well as from the stream.");

    public static final ConfigOption<Integer> REPLAY_SIZE =
            ConfigOptions.key("kontrast.replay.size")
                    .intType()
                    .defaultValue(8192)
                    .withDescription("Samples the replay buffer holds per trainer shard.");

    public static final ConfigOption<Long> REPLAY_MAX_BYTES =
            ConfigOptions.key("kontrast.replay.max-bytes")
                    .longType()
                    .defaultValue(256L << 20)
                    .withDescription("Memory the replay buffer's samples may take per trainer shard: with large inputs it "
                            + "holds fewer than kontrast.replay.size samples (a sample takes 4 bytes a value, plus its "
                            + "feature with min-redundancy).");

    public static final ConfigOption<Integer> REPLAY_STEPS_PER_BATCH =
            ConfigOptions.key("kontrast.replay.steps-per-batch")
                    .intType()
                    .defaultValue(1)
                    .withDescription("Training steps per batch of samples read from the stream, with a replay buffer.");

    public static final ConfigOption<Double> REPLAY_FRESH_FRACTION =
            ConfigOptions.key("kontrast.replay.fresh-fraction")
                    .doubleType()
                    .defaultValue(0.5)
                    .withDescription("Share of each training batch taken from the samples just read (the rest is drawn "
                            + "from the buffer), in [0, 1]. Samples read that no step takes (steps-per-batch x fresh-fraction "
                            + "below 1) go only into the buffer.");

    public static final ConfigOption<Integer> BATCH_SIZE =
            ConfigOptions.key("kontrast.batch.size")
                    .intType()
                    .defaultValue(128)
                    .withDescription("Samples per training step.");

    public static final ConfigOption<Integer> QUEUE_SIZE =
            ConfigOptions.key("kontrast.queue.size")
                    .intType()
                    .defaultValue(4096)
                    .withDescription("K, negative keys in the queue; a multiple of the batch size.");

    public static final ConfigOption<Double> TEMPERATURE =
            ConfigOptions.key("kontrast.temperature")
                    .doubleType()
                    .defaultValue(0.1)
                    .withDescription("InfoNCE temperature T.");

    public static final ConfigOption<Double> KEY_MOMENTUM =
            ConfigOptions.key("kontrast.key.momentum")
                    .doubleType()
                    .defaultValue(0.99)
                    .withDescription("Momentum m of the key encoder's EMA, in [0, 1).");

    public static final ConfigOption<Double> BASE_LR =
            ConfigOptions.key("kontrast.optimizer.base-lr")
                    .doubleType()
                    .defaultValue(0.12)
                    .withDescription("SGD learning rate per 256 samples; the rate used is base-lr x batch / 256.");

    public static final ConfigOption<Double> SGD_MOMENTUM =
            ConfigOptions.key("kontrast.optimizer.momentum")
                    .doubleType()
                    .defaultValue(0.9)
                    .withDescription("SGD momentum, in [0, 1).");

    public static final ConfigOption<Double> WEIGHT_DECAY =
            ConfigOptions.key("kontrast.optimizer.weight-decay")
                    .doubleType()
                    .defaultValue(5e-4)
                    .withDescription("L2 weight decay.");

    public static final ConfigOption<Integer> WARMUP_STEPS =
            ConfigOptions.key("kontrast.optimizer.warmup-steps")
                    .intType()
                    .defaultValue(100)
                    .withDescription("Steps of linear learning-rate warm-up.");

    public static final ConfigOption<String> LR_SCHEDULE =
            ConfigOptions.key("kontrast.optimizer.schedule")
                    .stringType()
                    .defaultValue("cosine-restarts")
                    .withDescription("Learning-rate schedule after warm-up: cosine-restarts (SGDR, cycles doubling "
                            + "in length) or constant.");

    public static final ConfigOption<Long> LR_CYCLE_SAMPLES =
            ConfigOptions.key("kontrast.optimizer.cycle-samples")
                    .longType()
                    .defaultValue(100_000L)
                    .withDescription("Samples in the first cosine cycle; each next cycle is twice as long.");

    public static final ConfigOption<Integer> SNAPSHOT_EVERY =
            ConfigOptions.key("kontrast.snapshot.every-steps")
                    .intType()
                    .defaultValue(100)
                    .withDescription("Publish an encoder snapshot every this many steps.");

    public static final ConfigOption<Long> MAX_SAMPLES =
            ConfigOptions.key("kontrast.max-samples")
                    .longType()
                    .defaultValue(0L)
                    .withDescription("Stop cleanly after training on this many samples, counted across restarts (0: never).");

    public static final ConfigOption<Long> SEED =
            ConfigOptions.key("kontrast.seed")
                    .longType()
                    .defaultValue(42L)
                    .withDescription("Seed of weight initialisation and of every sample's augmentations.");

    public static final ConfigOption<Double> CROP_MIN_SCALE =
            ConfigOptions.key("kontrast.views.crop-min-scale")
                    .doubleType()
                    .defaultValue(0.6)
                    .withDescription("Smallest area fraction of a random resized crop, in (0, 1]; 0.5 by default for "
                            + "three-channel inputs (MoCo v2's 0.2 measured lower on CIFAR-10's 32x32 photographs).");

    public static final ConfigOption<Double> FLIP_PROBABILITY =
            ConfigOptions.key("kontrast.views.flip-probability")
                    .doubleType()
                    .defaultValue(0.5)
                    .withDescription("Probability of a horizontal flip.");

    public static final ConfigOption<Double> JITTER =
            ConfigOptions.key("kontrast.views.jitter")
                    .doubleType()
                    .defaultValue(0.4)
                    .withDescription("Brightness and contrast jitter strength: factors drawn from [1 - j, 1 + j], applied with probability 0.8.");

    public static final ConfigOption<Double> SATURATION =
            ConfigOptions.key("kontrast.views.saturation")
                    .doubleType()
                    .defaultValue(0.4)
                    .withDescription("Colour images: saturation jitter, a factor in [1 - s, 1 + s].");

    public static final ConfigOption<Double> HUE =
            ConfigOptions.key("kontrast.views.hue")
                    .doubleType()
                    .defaultValue(0.1)
                    .withDescription("Colour images: hue jitter, a shift in [-h, h] of a turn.");

    public static final ConfigOption<Double> JITTER_PROBABILITY =
            ConfigOptions.key("kontrast.views.jitter-probability")
                    .doubleType()
                    .defaultValue(0.8)
                    .withDescription("Colour images: probability of the colour jitter (brightness, contrast, "
                            + "saturation, hue, in a random order).");

    public static final ConfigOption<Double> GRAYSCALE_PROBABILITY =
            ConfigOptions.key("kontrast.views.grayscale-probability")
                    .doubleType()
                    .defaultValue(0.2)
                    .withDescription("Colour images: probability of turning a view gray.");

    public static final ConfigOption<Double> BLUR_PROBABILITY =
            ConfigOptions.key("kontrast.views.blur-probability")
                    .doubleType()
                    .defaultValue(0.0)
                    .withDescription("Colour images: probability of a Gaussian blur (sigma 0.1-2.0 pixels at 224x224, "
                            + "scaled to the image).");

    public static final ConfigOption<Double> CORRUPTION_RATE =
            ConfigOptions.key("kontrast.views.corruption-rate")
                    .doubleType()
                    .defaultValue(0.6)
                    .withDescription("Vector and sequence samples (SCARF): the share of features of the second view (of a "
                            + "sequence, of each step's features) replaced by the same feature of another sample of the batch, a "
                            + "draw from its empirical marginal, in [0, 1]; 0.3 by default for sequences (token samples: 0 unless set).");

    public static final ConfigOption<Double> MASK_PROBABILITY =
            ConfigOptions.key("kontrast.views.mask-probability")
                    .doubleType()
                    .defaultValue(0.0)
                    .withDescription("Vector samples: the probability that a feature of a view is masked (set to the input "
                            + "mean), in [0, 1].");

    public static final ConfigOption<Double> SCALING =
            ConfigOptions.key("kontrast.views.scaling")
                    .doubleType()
                    .defaultValue(0.2)
                    .withDescription("Sequence samples: each view's values are multiplied by one factor in [1 - s, 1 + s], "
                            + "s in [0, 0.99].");

    public static final ConfigOption<Double> TIME_MASK =
            ConfigOptions.key("kontrast.views.time-mask")
                    .doubleType()
                    .defaultValue(0.1)
                    .withDescription("Sequence samples: the longest span of consecutive steps masked in a view (set to the "
                            + "input mean), a fraction of the length in [0, 0.9].");

    public static final ConfigOption<Integer> INPUT_VOCAB =
            ConfigOptions.key("kontrast.input.vocab")
                    .intType()
                    .defaultValue(0)
                    .withDescription("Token samples: the vocabulary size V. Each sample is then a [T] INT32 tensor of token "
                            + "ids in [0, V), T the input shape's single number (such as kontrast.input.shape=28); ids "
                            + "outside it are dead letters (BAD_TENSOR). The encoder starts with an embedding layer; "
                            + "inputs are not normalised. 0: samples are not tokens.");

    public static final ConfigOption<Boolean> INPUT_GRAPH =
            ConfigOptions.key("kontrast.input.graph")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription("Graph samples: each record carries a node neighbourhood in its parts: nodes [n, F] "
                            + "(UINT8 or FLOAT32), edges [E, 2] INT32 (undirected pairs of node indices) and optionally "
                            + "centre [1] INT32 (0 by default); kontrast.input.shape is NxF, up to N nodes of F features. "
                            + "The encoder is graph convolutions (gcn); features are not normalised.");

    public static final ConfigOption<Double> EDGE_DROP =
            ConfigOptions.key("kontrast.views.edge-drop")
                    .doubleType()
                    .defaultValue(0.2)
                    .withDescription("Graph samples: the probability that an edge is dropped from a view, in [0, 1].");

    public static final ConfigOption<Double> NODE_DROP =
            ConfigOptions.key("kontrast.views.node-drop")
                    .doubleType()
                    .defaultValue(0.0)
                    .withDescription("Graph samples: the probability that a node other than the centre is dropped from a "
                            + "view, with its edges, in [0, 1].");

    public static final ConfigOption<Double> FEATURE_MASK =
            ConfigOptions.key("kontrast.views.feature-mask")
                    .doubleType()
                    .defaultValue(0.2)
                    .withDescription("Graph samples: the probability that a feature is masked (set to 0) in every node of a "
                            + "view, in [0, 1].");

    public static final ConfigOption<Integer> PAD_ID =
            ConfigOptions.key("kontrast.input.pad-id")
                    .intType()
                    .defaultValue(0)
                    .withDescription("Token samples: the id that a cropped view is padded with and that masking writes, "
                            + "in [0, V).");

    public static final ConfigOption<Double> TOKEN_MASK =
            ConfigOptions.key("kontrast.views.token-mask")
                    .doubleType()
                    .defaultValue(0.15)
                    .withDescription("Token samples: the probability that a token of a view is replaced by the pad id, in "
                            + "[0, 1].");

    public static final ConfigOption<Double> TOKEN_REPLACE =
            ConfigOptions.key("kontrast.views.token-replace")
                    .doubleType()
                    .defaultValue(0.0)
                    .withDescription("Token samples: the probability that a token of a view is replaced by a random id of "
                            + "the vocabulary, in [0, 1].");

    public static final ConfigOption<Double> NOISE_STD =
            ConfigOptions.key("kontrast.views.noise-std")
                    .doubleType()
                    .defaultValue(0.02)
                    .withDescription("Std of the Gaussian pixel noise added to each view (pixels in 0..1).");

    public static final ConfigOption<Double> INPUT_MEAN =
            ConfigOptions.key("kontrast.input.mean")
                    .doubleType()
                    .defaultValue(0.2860)
                    .withDescription("Input normalisation mean (pixels in 0..1); Fashion-MNIST's by default, 0.449 (ImageNet's, "
                            + "averaged over the channels) for three-channel inputs.");

    public static final ConfigOption<Double> INPUT_STD =
            ConfigOptions.key("kontrast.input.std")
                    .doubleType()
                    .defaultValue(0.3530)
                    .withDescription("Input normalisation std (pixels in 0..1); Fashion-MNIST's by default, 0.226 (ImageNet's, "
                            + "averaged over the channels) for three-channel inputs.");

    public static final ConfigOption<java.util.List<Double>> INPUT_CHANNEL_MEAN =
            ConfigOptions.key("kontrast.input.channel-mean")
                    .doubleType()
                    .asList()
                    .noDefaultValue()
                    .withDescription("Input normalisation per channel, in place of kontrast.input.mean: one mean per colour "
                            + "channel of an image, per feature of a sequence or a vector (values as the trainer reads them: "
                            + "pixels in 0..1), separated by ';' (`kontrast stats` computes them; `--input-stats FILE` sets "
                            + "both lists). With kontrast.input.channel-std.");

    public static final ConfigOption<java.util.List<Double>> INPUT_CHANNEL_STD =
            ConfigOptions.key("kontrast.input.channel-std")
                    .doubleType()
                    .asList()
                    .noDefaultValue()
                    .withDescription("Input normalisation std per channel, each > 0, in place of kontrast.input.std; see "
                            + "kontrast.input.channel-mean.");

    public static final ConfigOption<Integer> MAX_RECORD_BYTES =
            ConfigOptions.key("kontrast.input.max-record-bytes")
                    .intType()
                    .defaultValue(1 << 20)
                    .withDescription("Input records larger than this go to the dead-letter topic as OVERSIZED.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            ConfigOptions.key("kontrast.checkpoint.interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("Checkpoint interval; snapshots become visible to read_committed consumers at each checkpoint.");

    public static final ConfigOption<String> CHECKPOINT_DIR =
            ConfigOptions.key("kontrast.checkpoint.dir")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Checkpoint directory (a path or URI); default: ./kontrast-checkpoints.");

    public static final ConfigOption<Integer> VIEW_PARALLELISM =
            ConfigOptions.key("kontrast.views.parallelism")
                    .intType()
                    .defaultValue(1)
                    .withDescription("Parallelism of the source and decoding; 1 chains them into the trainer's thread. The trainer builds the views, in its lanes.");

    public static final ConfigOption<Integer> ROLLBACK_AFTER =
            ConfigOptions.key("kontrast.numerics.rollback-after")
                    .intType()
                    .defaultValue(5)
                    .withDescription("After this many skipped (non-finite) steps in a row, roll the model back to the last published snapshot and reset the optimizer momentum.");

    public static final ConfigOption<Double> COLLAPSE_MIN_STD =
            ConfigOptions.key("kontrast.collapse.min-std")
                    .doubleType()
                    .defaultValue(0.01)
                    .withDescription("A snapshot whose mean per-dimension std of normalized embeddings is below this is withheld and raises the collapse alarm (healthy: near 1/sqrt(128) = 0.088).");

    public static final ConfigOption<String> PROBE_SET =
            ConfigOptions.key("kontrast.monitor.probe-set")
                    .stringType()
                    .defaultValue("")
                    .withDescription("Labeled probe set scored at every snapshot (never trained on): '' (off), 'synthetic', or 'fashion-mnist' (optionally 'fashion-mnist:<dir>').");

    public static final ConfigOption<Integer> PROBE_SIZE =
            ConfigOptions.key("kontrast.monitor.probe-size")
                    .intType()
                    .defaultValue(2000)
                    .withDescription("Bank size of the probe set (from its train split); half as many test-split queries.");

    public static final ConfigOption<Boolean> SYMMETRIC_LOSS =
            ConfigOptions.key("kontrast.loss.symmetric")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription("Symmetric InfoNCE: also score the second view as the query against the first as the key, and add the losses (twice the compute; 2 x batch keys enqueued per step).");

    public static final ConfigOption<Boolean> TRAINER_LANES =
            ConfigOptions.key("kontrast.trainer.lanes")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Run each training step in two lanes (the calling thread and one helper, each with half of the OpenMP threads) on a CPU with two cores or more; false runs it on the task thread with all OpenMP threads.");

    public static final ConfigOption<String> TRAINER_OVERLAP =
            ConfigOptions.key("kontrast.trainer.overlap")
                    .stringType()
                    .defaultValue("auto")
                    .withDescription("Run each training step on a thread of its own while the task thread reads, decodes and builds the views of the next batch: true, false, or auto (on with a GPU backend, whose steps leave the CPU free; off on the CPU backend, where the step and the input compete for the same cores).");
}
