package io.kontrast.jobs;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where this JVM's CPU time goes while a job runs in it: every Java thread's CPU time and the
 * process's, sampled on a daemon thread, then summed over a time window by thread group, in cores
 * (CPU seconds per second of the window).
 *
 * <p>Groups: the trainer's task thread, its step thread (with overlapped steps), the trainer's helper lane, the Kafka source's fetcher,
 * all other Java threads (the embedded broker, Flink, the Kafka clients), and the JVM's own
 * threads, which have no Java thread: the JIT compilers and the garbage collector (told apart by
 * their names in {@code /proc/self/task} on Linux, at 10 ms resolution) and the rest of the VM.
 * Elsewhere the JVM's threads are all in {@link #VM}.
 */
final class CpuSampler implements AutoCloseable {
    static final String TRAINER = "trainer_thread";
    static final String STEP = "step_thread";
    static final String LANE = "lane";
    static final String FETCHER = "kafka_fetcher";
    static final String OTHER = "other_threads";
    static final String JIT = "jit";
    static final String GC = "gc";
    static final String VM = "vm_other";
    static final List<String> GROUPS = List.of(TRAINER, STEP, LANE, FETCHER, OTHER, JIT, GC, VM);
    private static final Path TASKS = Path.of("/proc/self/task");
    private static final double TICKS_PER_SECOND = 100; // USER_HZ

    /**
     * One sample: the process's CPU time, each Java thread's, and, where Linux shows them, the
     * CPU ticks of the JVM's own threads (compilers, garbage collector) by group.
     */
    private record Sample(long atMillis, long processNanos, Map<Long, Long> threadNanos, Map<String, Long> nativeTicks) {}

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final Map<Long, String> groups = new ConcurrentHashMap<>(); // written by the sampler and by coresBusy
    private final List<Sample> samples = new ArrayList<>();
    private final long periodMillis;
    private final Thread sampler;
    private volatile boolean stopped;

    CpuSampler(long periodMillis) {
        if (!threads.isThreadCpuTimeSupported()) {
            throw new IllegalStateException("this JVM does not measure thread CPU time");
        }
        threads.setThreadCpuTimeEnabled(true);
        this.periodMillis = periodMillis;
        sampler = new Thread(this::run, "kontrast-cpu-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** The group of a thread, by its name. */
    static String group(String name) {
        if (name.startsWith("Source Data Fetcher")) return FETCHER; // named after its task
        if (name.startsWith("kontrast-trainer-step")) return STEP; // overlapped steps; named after its task too
        if (name.contains("moco-trainer")) return TRAINER;
        if (name.startsWith("kontrast-learner-lane")) return LANE;
        return OTHER;
    }

    private void run() {
        while (!stopped) {
            sample();
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sample() {
        long[] ids = threads.getAllThreadIds();
        Map<Long, Long> cpu = new HashMap<>(ids.length * 2);
        List<Long> unnamed = new ArrayList<>();
        for (long id : ids) {
            long t = threads.getThreadCpuTime(id);
            if (t < 0) continue; // ended
            cpu.put(id, t);
            if (!groups.containsKey(id)) unnamed.add(id);
        }
        if (!unnamed.isEmpty()) {
            for (ThreadInfo info : threads.getThreadInfo(unnamed.stream().mapToLong(Long::longValue).toArray(), 0)) {
                if (info != null) groups.put(info.getThreadId(), group(info.getThreadName()));
            }
        }
        Sample s = new Sample(System.currentTimeMillis(), os.getProcessCpuTime(), cpu, nativeTicks());
        synchronized (samples) {
            samples.add(s);
        }
    }

    /** CPU ticks of the JIT's and the garbage collector's threads, by the names HotSpot gives them. */
    private static Map<String, Long> nativeTicks() {
        Map<String, Long> ticks = new HashMap<>();
        ticks.put(JIT, 0L);
        ticks.put(GC, 0L);
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException e) {
                    continue; // ended
                }
                // pid (comm) state ... utime stime: fields 14 and 15, counted after the ')'.
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String group = nativeGroup(stat.substring(open + 1, close));
                if (group == null) continue;
                String[] f = stat.substring(close + 2).split(" ");
                ticks.merge(group, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return ticks;
    }

    /** {@link #JIT}, {@link #GC} or null (another thread), by a thread's name as Linux shows it. */
    static String nativeGroup(String comm) {
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) return JIT;
        if (comm.startsWith("GC Thread") || comm.startsWith("G1 ")) return GC;
        return null;
    }

    /**
     * Cores busy per group between the last sample at or before {@code fromMillis} and the first
     * at or after {@code toMillis} (epoch milliseconds): each thread's CPU time over the window
     * (all of it for a thread started inside), divided by the window's length. The CPU time of
     * threads that ended inside the window counts towards {@link #VM}.
     */
    Map<String, Double> coresBusy(long fromMillis, long toMillis) {
        sample();
        Sample from;
        Sample to;
        synchronized (samples) {
            from = samples.get(0);
            to = samples.get(samples.size() - 1);
            for (Sample s : samples) {
                if (s.atMillis() <= fromMillis) from = s;
                if (s.atMillis() >= toMillis) {
                    to = s;
                    break;
                }
            }
        }
        double seconds = (to.atMillis() - from.atMillis()) / 1000.0;
        if (seconds <= 0) {
            throw new IllegalStateException("no CPU samples around the window " + fromMillis + "-" + toMillis);
        }
        Map<String, Double> cores = new LinkedHashMap<>();
        for (String g : GROUPS) cores.put(g, 0.0);
        long javaNanos = 0;
        for (Map.Entry<Long, Long> e : to.threadNanos().entrySet()) {
            long d = e.getValue() - from.threadNanos().getOrDefault(e.getKey(), 0L);
            javaNanos += d;
            cores.merge(groups.getOrDefault(e.getKey(), OTHER), d / 1e9 / seconds, Double::sum);
        }
        double jvm = Math.max(0, to.processNanos() - from.processNanos() - javaNanos) / 1e9 / seconds;
        if (!from.nativeTicks().isEmpty() && !to.nativeTicks().isEmpty()) {
            for (String g : List.of(JIT, GC)) {
                double c = Math.min(jvm, (to.nativeTicks().get(g) - from.nativeTicks().get(g)) / TICKS_PER_SECOND / seconds);
                cores.put(g, Math.max(0, c));
                jvm -= cores.get(g);
            }
        }
        cores.put(VM, jvm);
        return cores;
    }

    @Override
    public void close() {
        stopped = true;
        sampler.interrupt();
    }
}
