package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.operators.decode.RawRecord;
import io.kontrast.operators.decode.SampleDecodeFunction;
import io.kontrast.operators.train.MocoTrainerOperator;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.checkpoint.DefaultCheckpointStatsTracker;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.NoOpMetricRegistry;
import org.apache.flink.runtime.metrics.groups.AbstractMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard queries only metrics that exist: every {@code flink_taskmanager_job_task_operator_*}
 * name is one the trainer or the decoder registers, exported under the name Flink's Prometheus
 * reporter gives it (found by opening the real operators on a metric registry that records
 * registrations), and every {@code flink_jobmanager_job_*} name is one of Flink's checkpoint metrics.
 */
class GrafanaDashboardTest {
    private static final Path DASHBOARD = Path.of("..", "k8s", "grafana", "kontrast.json");
    /** As the Prometheus reporter filters names: anything but [a-zA-Z0-9:_] becomes '_'. */
    private static final CharacterFilter PROMETHEUS = s -> s.replaceAll("[^a-zA-Z0-9:_]", "_");
    private static final Pattern OPERATOR_METRIC = Pattern.compile("flink_taskmanager_job_task_operator_([A-Za-z0-9_:]+)(\\.\\+)?");
    private static final Pattern JOB_METRIC = Pattern.compile("flink_jobmanager_job_([A-Za-z0-9_:]+)");

    /** Records the exported name of every metric registered. */
    static final class RecordingRegistry extends NoOpMetricRegistry {
        final Set<String> names = ConcurrentHashMap.newKeySet();

        @Override
        public void register(Metric metric, String name, AbstractMetricGroup<?> group) {
            names.add("flink_" + group.getLogicalScope(PROMETHEUS, '_') + "_" + PROMETHEUS.filterCharacters(name));
        }
    }

    private static TaskMetricGroup taskGroup(RecordingRegistry registry, String task) {
        return TaskManagerMetricGroup.createTaskManagerMetricGroup(registry, "localhost", ResourceID.generate())
                .addJob(new JobID(), "kontrast-train")
                .addTask(ExecutionAttemptID.randomId(), task);
    }

    /** The names the trainer and the decoder export, as a running job registers them. */
    static Set<String> exportedOperatorMetrics() throws Exception {
        RecordingRegistry registry = new RecordingRegistry();
        TrainerSettings settings = TrainerSettings.from(new Configuration());
        var trainer = new KeyedOneInputStreamOperatorTestHarness<>(new MocoTrainerOperator(settings), v -> 0, Types.INT,
                new MockEnvironmentBuilder().setMetricGroup(taskGroup(registry, "trainer")).build());
        trainer.open();
        trainer.close();
        OneInputStreamOperatorTestHarness<RawRecord, ?> decoder = new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(SampleDecodeFunction.of(settings)),
                new MockEnvironmentBuilder().setMetricGroup(taskGroup(registry, "decode")).build());
        decoder.open();
        decoder.close();
        return registry.names;
    }

    /** Flink's checkpoint metrics on the job manager's job group. */
    static Set<String> checkpointMetrics() throws Exception {
        Set<String> names = new TreeSet<>();
        for (Field f : DefaultCheckpointStatsTracker.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                f.setAccessible(true);
                names.add((String) f.get(null));
            }
        }
        return names;
    }

    private static List<String> expressions(JsonNode dashboard) {
        List<String> out = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) out.add(target.get("expr").asText());
        }
        for (JsonNode variable : dashboard.get("templating").get("list")) {
            if (variable.has("definition")) out.add(variable.get("definition").asText());
        }
        return out;
    }

    @Test
    void everyQueriedMetricIsOneTheJobExports() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        Set<String> exported = exportedOperatorMetrics();
        Set<String> checkpoints = checkpointMetrics();
        assertThat(exported).contains("flink_taskmanager_job_task_operator_loss",
                "flink_taskmanager_job_task_operator_deadLetters_NOT_AVRO");
        assertThat(checkpoints).contains("lastCheckpointDuration", "lastCheckpointSize");
        Set<String> queried = new TreeSet<>();
        for (String expr : expressions(dashboard)) {
            Matcher m = OPERATOR_METRIC.matcher(expr);
            while (m.find()) {
                String name = "flink_taskmanager_job_task_operator_" + m.group(1);
                queried.add(name);
                if (m.group(2) != null) {
                    // A family by regex (dead letters by reason): at least one member exists.
                    assertThat(exported).as(expr).anyMatch(e -> e.startsWith(name) && e.length() > name.length());
                } else {
                    assertThat(exported).as("%s in %s", name, expr).contains(name);
                }
            }
            Matcher j = JOB_METRIC.matcher(expr);
            while (j.find()) {
                queried.add(j.group());
                assertThat(checkpoints).as("%s in %s", j.group(), expr).contains(j.group(1));
            }
        }
        // The dashboard covers what the issue names: loss, throughput, queue, snapshots, probes,
        // collapse, dead letters, checkpoints.
        for (String must : List.of("loss", "samplesPerSecond", "stepsPerSecond", "queueFill", "snapshotVersion",
                "snapshotAgeSeconds", "probe_knn200", "probe_linear", "embeddingStd", "deadLetters_")) {
            assertThat(queried).as(must).anyMatch(q -> q.startsWith("flink_taskmanager_job_task_operator_" + must));
        }
        assertThat(queried).contains("flink_jobmanager_job_lastCheckpointDuration", "flink_jobmanager_job_lastCheckpointSize");
    }
}
