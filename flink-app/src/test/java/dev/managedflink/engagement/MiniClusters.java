package dev.managedflink.engagement;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

final class MiniClusters {
    private MiniClusters() {}

    static MiniClusterExtension extension(InMemoryReporter reporter) {
        Configuration conf = reporter == null ? new Configuration() : reporter.addToConfiguration(new Configuration());
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setConfiguration(conf)
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .build());
    }

    /** Polls a condition until it holds; fails with the given description after the deadline. */
    static void waitUntil(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; state: " + state.get());
            }
            // Yield the CPU between polls; this is a poll interval, not a wait for an event.
            Thread.sleep(20);
        }
    }
}
