package io.kontrast.jobs;

import io.kontrast.data.LabeledImages;
import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.schemas.EncoderSnapshot;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code report}: reads a model's snapshots from the snapshot topic and writes an HTML page with
 * its learning curves against samples seen (loss, the trainer's probe kNN and linear accuracy,
 * embedding std, samples/s) and a map of a labeled set's embeddings under the newest snapshot
 * (the first two principal components, one colour per class), as PNG files beside the page.
 */
final class ReportCommand {
    static final String[] FASHION_MNIST = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
        "Sneaker", "Bag", "Ankle boot"};
    /** Ten colours that stay apart for most readers (Tableau 10). */
    static final Color[] PALETTE = {new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2),
        new Color(0x59A14F), new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7), new Color(0x9C755F),
        new Color(0x79706E)};
    static final int WIDTH = 880;
    static final int HEIGHT = 400;

    private ReportCommand() {}

    static Args args() {
        return new Args("report", "Writes an HTML page with a model's learning curves and a map of its embeddings.")
                .opt("bootstrap", "servers", null, "the broker with the snapshot topic (required)")
                .opt("kafka-config", "file", null, KafkaCli.CONFIG_HELP)
                .opt("topic", "name", "encoder-snapshots", "snapshot topic")
                .opt("model-id", "id", null, "the model to report on (default: the model published last)")
                .opt("out", "dir", "kontrast-report", "directory for index.html and its images")
                .opt("dataset", Datasets.CHOICES, null,
                        "labeled set to map (its test split; default: fashion-mnist if installed, else synthetic)")
                .opt("dir", "dir", null, "the image folder of --dataset image-folder: DIR/<split>/<class>/<image files>")
                .opt("data-dir", "dir", null, "Fashion-MNIST IDX directory")
                .opt("map-samples", "n", "2000", "samples on the embedding map (0: no map)");
    }

    static int run(Args a, PrintStream out) throws Exception {
        if (!a.has("bootstrap")) throw new UsageException("--bootstrap is required");
        System.setProperty("java.awt.headless", "true");
        int mapSamples = a.getInt("map-samples", 0, 100_000);
        Path dataDir = a.has("data-dir") ? a.path("data-dir") : null;
        String dataset = a.has("dataset") ? a.choice("dataset", Datasets.NAMES)
                : Datasets.fashionMnistInstalled(dataDir) ? "fashion-mnist" : "synthetic";
        String topic = a.get("topic");
        List<EncoderSnapshot> all = SnapshotTopicReader.readAll(KafkaCli.client(a), topic, Duration.ofSeconds(60));
        String modelId = a.has("model-id") ? a.get("model-id")
                : all.stream().max(Comparator.comparing(EncoderSnapshot::getCreatedAt))
                        .map(s -> s.getModelId().toString()).orElse(null);
        List<EncoderSnapshot> snapshots = history(all, modelId);
        if (snapshots.isEmpty()) {
            throw new UsageException("no committed snapshot" + (modelId == null ? "" : " of model " + modelId) + " on " + topic);
        }
        Path dir = a.path("out");
        Files.createDirectories(dir);
        List<String> images = new ArrayList<>();
        for (var chart : curves(snapshots).entrySet()) {
            String file = chart.getKey() + ".png";
            ChartUtils.saveChartAsPNG(dir.resolve(file).toFile(), chart.getValue(), WIDTH, HEIGHT);
            images.add(file);
        }
        EncoderSnapshot newest = snapshots.get(snapshots.size() - 1);
        String mapNote = "";
        if (mapSamples > 0) {
            Path imageDir = dataset.equals("image-folder") ? a.path("dir") : dataDir;
            io.kontrast.math.nn.Shape shape = newest.getInputShape().size() == 3
                    ? new io.kontrast.math.nn.Shape(newest.getInputShape().get(0), newest.getInputShape().get(1),
                            newest.getInputShape().get(2))
                    : null;
            LabeledImages set = Datasets.load(dataset, "test", imageDir, shape);
            if (set.size() > mapSamples) set = set.head(mapSamples);
            INDArray features = SnapshotFeatures.extract(newest, set);
            double[][] xy = Pca.project(features, 2);
            String[] names = dataset.startsWith("fashion-mnist") ? FASHION_MNIST : null;
            ChartUtils.saveChartAsPNG(dir.resolve("map.png").toFile(), map(xy, set.labels(), names, newest), WIDTH, 640);
            images.add("map.png");
            mapNote = String.format(Locale.ROOT, "%,d images of the %s test split, embedded by version %d", set.size(),
                    dataset, newest.getVersion());
        }
        Path page = dir.resolve("index.html");
        Files.writeString(page, html(snapshots, images, mapNote), StandardCharsets.UTF_8);
        out.printf(Locale.ROOT, "{\"model_id\": \"%s\", \"snapshots\": %d, \"newest_version\": %d, \"images\": %d, \"out\": \"%s\"}%n",
                modelId, snapshots.size(), newest.getVersion(), images.size(), page);
        return 0;
    }

    /**
     * The model's snapshots in version order. A version published twice (a job restarted from
     * before it, with exactly-once, does not do that; a --fresh restart does) keeps its newest.
     */
    static List<EncoderSnapshot> history(List<EncoderSnapshot> all, String modelId) {
        TreeMap<Long, EncoderSnapshot> byVersion = new TreeMap<>();
        for (EncoderSnapshot s : all) {
            if (modelId != null && !s.getModelId().toString().equals(modelId)) continue;
            byVersion.merge(s.getVersion(), s, (x, y) -> y.getCreatedAt().isAfter(x.getCreatedAt()) ? y : x);
        }
        return new ArrayList<>(byVersion.values());
    }

    /** The learning-curve charts by file name, each over samples seen; a chart without data is left out. */
    static Map<String, JFreeChart> curves(List<EncoderSnapshot> snapshots) {
        Map<String, JFreeChart> charts = new LinkedHashMap<>();
        add(charts, "loss", "Training loss (mean since the previous snapshot)", "loss", series(snapshots, "loss", "loss"));
        add(charts, "probe", "Probe accuracy (the trainer's held-out probe set)", "accuracy",
                series(snapshots, "probe_knn200", "kNN (k = 200)"), series(snapshots, "probe_linear", "linear probe"));
        add(charts, "embedding-std", "Embedding std per dimension (collapse sits near 0)", "std",
                series(snapshots, "embedding_std", "training batch"), series(snapshots, "probe_embedding_std", "probe set"));
        XYSeries rate = new XYSeries("samples/s");
        for (int i = 1; i < snapshots.size(); i++) {
            EncoderSnapshot p = snapshots.get(i - 1);
            EncoderSnapshot s = snapshots.get(i);
            double seconds = Duration.between(p.getCreatedAt(), s.getCreatedAt()).toMillis() / 1000.0;
            if (seconds > 0 && s.getSamplesSeen() > p.getSamplesSeen()) {
                rate.add(s.getSamplesSeen(), (s.getSamplesSeen() - p.getSamplesSeen()) / seconds);
            }
        }
        add(charts, "throughput", "Samples read per second between snapshots", "samples/s", rate);
        return charts;
    }

    private static XYSeries series(List<EncoderSnapshot> snapshots, String metric, String label) {
        XYSeries s = new XYSeries(label);
        for (EncoderSnapshot x : snapshots) {
            Double v = x.getMetrics().get(metric);
            if (v != null && Double.isFinite(v)) s.add(x.getSamplesSeen(), v);
        }
        return s;
    }

    private static void add(Map<String, JFreeChart> charts, String file, String title, String yLabel, XYSeries... series) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (XYSeries s : series) if (s.getItemCount() > 0) data.addSeries(s);
        if (data.getSeriesCount() == 0) return;
        NumberAxis x = new NumberAxis("samples seen");
        NumberAxis y = new NumberAxis(yLabel);
        y.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesShape(i, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
        }
        XYPlot plot = new XYPlot(data, x, y, r);
        charts.put(file, styled(new JFreeChart(title, new Font("SansSerif", Font.BOLD, 16), plot, data.getSeriesCount() > 1)));
    }

    /** The embedding map: one colour per class, the classes' names in the legend. */
    static JFreeChart map(double[][] xy, int[] labels, String[] names, EncoderSnapshot s) {
        TreeMap<Integer, XYSeries> byLabel = new TreeMap<>();
        for (int i = 0; i < labels.length; i++) {
            int l = labels[i];
            byLabel.computeIfAbsent(l, k -> new XYSeries(names != null && k >= 0 && k < names.length ? names[k] : "class " + k,
                    false, true)).add(xy[i][0], xy[i][1]);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        byLabel.values().forEach(data::addSeries);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            r.setSeriesShape(i, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
        }
        XYPlot plot = new XYPlot(data, new NumberAxis("principal component 1"), new NumberAxis("principal component 2"), r);
        JFreeChart chart = new JFreeChart(String.format(Locale.ROOT, "Embeddings of version %d (%,d samples seen), by class",
                s.getVersion(), s.getSamplesSeen()), new Font("SansSerif", Font.BOLD, 16), plot, true);
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.RIGHT);
        return styled(chart);
    }

    private static JFreeChart styled(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xDDDDDD));
        plot.setRangeGridlinePaint(new Color(0xDDDDDD));
        plot.setOutlineVisible(false);
        if (chart.getLegend() != null) chart.getLegend().setItemFont(new Font("SansSerif", Font.PLAIN, 13));
        return chart;
    }

    static String html(List<EncoderSnapshot> snapshots, List<String> images, String mapNote) {
        EncoderSnapshot n = snapshots.get(snapshots.size() - 1);
        StringBuilder b = new StringBuilder();
        b.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Kontrast report: ")
                .append(escape(n.getModelId().toString())).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;max-width:920px;margin:2em auto;color:#222;padding:0 1em}\n")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:left}\n")
                .append("td.n{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%;margin:.5em 0 1.5em}\n")
                .append(".note{color:#666;font-size:.9em}\n</style></head><body>\n");
        b.append("<h1>").append(escape(n.getModelId().toString())).append("</h1>\n");
        b.append(String.format(Locale.ROOT, "<p>%d snapshots, versions %d to %d. The newest, version %d, was published at %s"
                        + " after %,d samples and %,d steps, trained by <b>%s</b>.</p>\n",
                snapshots.size(), snapshots.get(0).getVersion(), n.getVersion(), n.getVersion(), n.getCreatedAt(),
                n.getSamplesSeen(), n.getStep(), escape(n.getObjective().toString())));
        b.append("<table><tr><th>newest</th><th>value</th></tr>\n");
        for (String m : new String[] {"loss", "probe_knn200", "probe_linear", "embedding_std", "probe_embedding_std",
            "learning_rate", "skipped_steps", "replayed", "bank_instances"}) {
            Double v = n.getMetrics().get(m);
            if (v != null && Double.isFinite(v)) {
                String shown = Math.abs(v) >= 1000 && v == Math.rint(v) ? String.format(Locale.ROOT, "%,.0f", v)
                        : String.format(Locale.ROOT, "%.4g", v);
                b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"n\">%s</td></tr>\n", m, shown));
            }
        }
        b.append("</table>\n");
        for (String img : images) {
            if (img.equals("map.png")) {
                b.append("<h2>Embedding map</h2>\n<p class=\"note\">").append(escape(mapNote))
                        .append("; the first two principal components of the backbone's representation.</p>\n");
            }
            b.append("<img src=\"").append(img).append("\" alt=\"").append(img.replace(".png", "")).append("\">\n");
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Principal components by power iteration with deflation, on the centred rows. */
    static final class Pca {
        private Pca() {}

        static double[][] project(INDArray features, int k) {
            int n = (int) features.rows();
            int d = (int) features.columns();
            double[][] x = features.toDoubleMatrix();
            double[] mean = new double[d];
            for (double[] row : x) for (int j = 0; j < d; j++) mean[j] += row[j] / n;
            for (double[] row : x) for (int j = 0; j < d; j++) row[j] -= mean[j];
            double[][] cov = new double[d][d];
            for (double[] row : x) {
                for (int p = 0; p < d; p++) {
                    double v = row[p];
                    if (v == 0) continue;
                    for (int q = p; q < d; q++) cov[p][q] += v * row[q];
                }
            }
            for (int p = 0; p < d; p++) for (int q = 0; q < p; q++) cov[p][q] = cov[q][p];
            double[][] components = new double[k][];
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
            for (int c = 0; c < k; c++) {
                double[] v = new double[d];
                for (int j = 0; j < d; j++) v[j] = rnd.nextDouble() - 0.5;
                for (int it = 0; it < 300; it++) {
                    double[] w = new double[d];
                    for (int p = 0; p < d; p++) {
                        double s = 0;
                        for (int q = 0; q < d; q++) s += cov[p][q] * v[q];
                        w[p] = s;
                    }
                    for (int e = 0; e < c; e++) orthogonalise(w, components[e]);
                    double norm = Math.sqrt(dot(w, w));
                    if (norm == 0) {
                        // No variance left in any direction: the component contributes nothing.
                        v = new double[d];
                        break;
                    }
                    for (int j = 0; j < d; j++) w[j] /= norm;
                    v = w;
                }
                components[c] = v;
            }
            double[][] out = new double[n][k];
            for (int i = 0; i < n; i++) for (int c = 0; c < k; c++) out[i][c] = dot(x[i], components[c]);
            return out;
        }

        private static void orthogonalise(double[] w, double[] e) {
            double p = dot(w, e);
            for (int j = 0; j < w.length; j++) w[j] -= p * e[j];
        }

        private static double dot(double[] a, double[] b) {
            double s = 0;
            for (int j = 0; j < a.length; j++) s += a[j] * b[j];
            return s;
        }
    }
}
