package io.kontrast.jobs;

import static io.kontrast.operators.KontrastOptions.INPUT_CHANNEL_MEAN;
import static io.kontrast.operators.KontrastOptions.INPUT_CHANNEL_STD;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kontrast.data.LabeledImages;
import io.kontrast.jobs.cli.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;
import org.apache.flink.configuration.Configuration;

/**
 * Per-channel input statistics: one mean and one std per colour channel of an image, per feature
 * of a sequence step or of a vector, of values as the trainer reads them (pixels in 0..1). Written
 * by {@code kontrast stats} as JSON ({@code mean} and {@code std} arrays, with what they were
 * computed on), read by {@code --input-stats FILE} into {@code kontrast.input.channel-mean} and
 * {@code kontrast.input.channel-std}.
 */
public record InputStats(double[] mean, double[] std, long samples) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The statistics of {@code set} (its first {@code limit} samples; 0: all), channel {@code i %
     * channels} for value {@code i} of a sample. Each std is at least {@code floor} times the mean
     * std over the channels, so that a near-constant channel is not scaled up without bound.
     */
    public static InputStats of(LabeledImages set, int limit, double floor) {
        if (set.isTokens() || set.isGraphs() || set.isHalves()) {
            throw new UsageException("stats are per channel of images, sequences and vectors; " + set.name()
                    + " holds " + (set.isTokens() ? "token ids" : set.isGraphs() ? "graphs" : "paired samples") + ", which are not normalised per channel");
        }
        int n = limit > 0 ? Math.min(limit, set.size()) : set.size();
        Accumulator acc = new Accumulator(set.channels());
        for (int i = 0; i < n; i++) acc.add(set.image(i));
        return acc.finish(floor);
    }

    /**
     * Per-channel mean and variance over samples added one at a time (each sample's own per-channel
     * mean and sum of squared deviations, merged into the running ones as Chan et al. do): exact
     * where a running sum of squares would cancel, and one pass over a stream.
     */
    public static final class Accumulator {
        private final int channels;
        private final double[] mean;
        private final double[] m2;
        private final double[] sampleMean;
        private final double[] sampleM2;
        private long count;
        private long samples;

        public Accumulator(int channels) {
            this.channels = channels;
            mean = new double[channels];
            m2 = new double[channels];
            sampleMean = new double[channels];
            sampleM2 = new double[channels];
        }

        /** Adds one sample, value {@code i} of channel {@code i % channels}. */
        public void add(float[] x) {
            if (x.length % channels != 0) {
                throw new IllegalArgumentException("a sample of " + x.length + " values is not whole pixels of " + channels + " channels");
            }
            long per = x.length / channels;
            java.util.Arrays.fill(sampleMean, 0);
            java.util.Arrays.fill(sampleM2, 0);
            for (int j = 0; j < x.length; j++) sampleMean[j % channels] += x[j];
            for (int c = 0; c < channels; c++) sampleMean[c] /= per;
            for (int j = 0; j < x.length; j++) {
                double d = x[j] - sampleMean[j % channels];
                sampleM2[j % channels] += d * d;
            }
            long total = count + per;
            for (int c = 0; c < channels; c++) {
                double delta = sampleMean[c] - mean[c];
                mean[c] += delta * per / total;
                m2[c] += sampleM2[c] + delta * delta * ((double) count * per / total);
            }
            count = total;
            samples++;
        }

        public long samples() {
            return samples;
        }

        /** The statistics so far, each std at least {@code floor} times the mean std over the channels. */
        public InputStats finish(double floor) {
            if (samples == 0) throw new UsageException("no samples to compute statistics on");
            double[] std = new double[channels];
            double typical = 0;
            for (int c = 0; c < channels; c++) {
                std[c] = Math.sqrt(m2[c] / count);
                typical += std[c] / channels;
            }
            double least = typical > 0 ? floor * typical : 1;
            for (int c = 0; c < channels; c++) std[c] = Math.max(std[c], least);
            return new InputStats(mean.clone(), std, samples);
        }
    }

    /** The statistics as JSON, with {@code about} (dataset, split, input shape) first. */
    public String toJson(java.util.Map<String, ?> about) {
        ObjectNode o = JSON.createObjectNode();
        about.forEach((k, v) -> {
            if (v instanceof Number n) o.put(k, n.longValue());
            else o.put(k, String.valueOf(v));
        });
        o.put("samples", samples);
        o.put("channels", mean.length);
        ArrayNode m = o.putArray("mean");
        for (double v : mean) m.add((float) v);
        ArrayNode s = o.putArray("std");
        for (double v : std) s.add((float) v);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a file {@code kontrast stats} wrote; names the file and the field on error. */
    public static InputStats read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UsageException("option --input-stats: cannot read " + file + ": " + e.getMessage());
        }
        double[] mean = numbers(root, "mean", file);
        double[] std = numbers(root, "std", file);
        if (mean.length != std.length) {
            throw new UsageException("option --input-stats: " + file + " has " + mean.length + " means and " + std.length + " stds");
        }
        return new InputStats(mean, std, root.path("samples").asLong(0));
    }

    private static double[] numbers(JsonNode root, String field, Path file) {
        JsonNode a = root == null ? null : root.get(field);
        if (a == null || !a.isArray() || a.isEmpty()) {
            throw new UsageException("option --input-stats: " + file + " needs a non-empty array '" + field + "' (as kontrast stats writes it)");
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isNumber()) throw new UsageException("option --input-stats: " + file + ": " + field + "[" + i + "] is not a number");
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    /** Sets {@code kontrast.input.channel-mean} and {@code -std} in {@code conf} from these statistics. */
    public void applyTo(Configuration conf) {
        conf.setString(INPUT_CHANNEL_MEAN.key(), joined(mean));
        conf.setString(INPUT_CHANNEL_STD.key(), joined(std));
    }

    private static String joined(double[] values) {
        StringJoiner j = new StringJoiner(";");
        for (double v : values) j.add(Float.toString((float) v));
        return j.toString();
    }
}
