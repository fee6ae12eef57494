package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class CpuSamplerTest {
    @Test
    void threadsAreGroupedByName() {
        assertThat(CpuSampler.group("Source: samples -> decode -> moco-trainer -> snapshots: Writer (1/1)#0")).isEqualTo(CpuSampler.TRAINER);
        assertThat(CpuSampler.group("kontrast-learner-lane")).isEqualTo(CpuSampler.LANE);
        assertThat(CpuSampler.group("kontrast-trainer-step Source: samples -> decode -> moco-trainer (1/1)#0")).isEqualTo(CpuSampler.STEP);
        assertThat(CpuSampler.group("Source Data Fetcher for Source: samples -> decode -> moco-trainer (1/1)#0")).isEqualTo(CpuSampler.FETCHER);
        assertThat(CpuSampler.group("data-plane-kafka-request-handler-0")).isEqualTo(CpuSampler.OTHER);
        assertThat(CpuSampler.nativeGroup("C2 CompilerThre")).isEqualTo(CpuSampler.JIT);
        assertThat(CpuSampler.nativeGroup("GC Thread#1")).isEqualTo(CpuSampler.GC);
        assertThat(CpuSampler.nativeGroup("G1 Conc#0")).isEqualTo(CpuSampler.GC);
        assertThat(CpuSampler.nativeGroup("Source: samples")).isNull();
    }

    /** A thread that spins keeps about one core busy in its group; one that sleeps keeps none. */
    @Test
    void aSpinningThreadCountsAsOneCoreInItsGroup() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        Thread spinner = new Thread(() -> {
            long x = 0;
            while (stop.getCount() > 0) x += System.nanoTime() % 7;
            if (x == 42) System.out.print("");
        }, "test -> moco-trainer (1/1)#0");
        Thread sleeper = new Thread(() -> {
            try {
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kontrast-learner-lane");
        try (CpuSampler cpu = new CpuSampler(50)) {
            spinner.start();
            sleeper.start();
            Thread.sleep(300);
            long from = System.currentTimeMillis();
            Thread.sleep(1000);
            long to = System.currentTimeMillis();
            Thread.sleep(150);
            Map<String, Double> cores = cpu.coresBusy(from, to);
            assertThat(cores.keySet()).containsExactlyElementsOf(CpuSampler.GROUPS);
            // Two cores here, and other tests' threads may share them: at least half a core.
            assertThat(cores.get(CpuSampler.TRAINER)).isBetween(0.5, 1.1);
            assertThat(cores.get(CpuSampler.LANE)).isLessThan(0.02);
            assertThat(cores.get(CpuSampler.FETCHER)).isZero();
        } finally {
            stop.countDown();
            spinner.join();
            sleeper.join();
        }
    }
}
