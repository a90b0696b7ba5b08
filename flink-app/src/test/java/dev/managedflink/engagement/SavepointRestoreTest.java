package dev.managedflink.engagement;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stops the job with a savepoint in the middle of the scenario, restores it, and checks the
 * combined output of both runs equals one uninterrupted run: window state and source position
 * survive, nothing is emitted twice, nothing is lost.
 */
class SavepointRestoreTest {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = MiniClusters.extension(null);

    private static final Duration DEADLINE = Duration.ofSeconds(90);

    /**
     * Records before the cut: through event 10 (the late click). The cut must come after it:
     * Flink does not checkpoint watermarks, so after a restore the watermark starts from scratch
     * and an event that was late before the cut would be accepted into a window that already fired.
     * At this cut window [1:00, 2:00) holds alice's and carol's events in state only.
     */
    private static final int RECORDS_BEFORE_CUT = 10;

    @Test
    void resultsAfterStopWithSavepointAndRestoreEqualAnUninterruptedRun(@TempDir Path savepoints) throws Exception {
        CollectingSink<EngagementResult> expectedResults = new CollectingSink<>();
        CollectingSink<DeadLetter> expectedDeadLetters = new CollectingSink<>();
        StreamExecutionEnvironment uninterrupted = environment(RateLimiterStrategy.noOp(), expectedResults, expectedDeadLetters);
        uninterrupted.execute("uninterrupted");
        assertThat(expectedResults.values()).containsExactlyInAnyOrderElementsOf(Scenario.EXPECTED_RESULTS);

        CollectingSink<EngagementResult> results = new CollectingSink<>();
        CollectingSink<DeadLetter> deadLetters = new CollectingSink<>();

        // First run: the source pauses after RECORDS_BEFORE_CUT records, mid-stream.
        String gate = UUID.randomUUID().toString();
        StreamExecutionEnvironment first = environment(new PauseAfter(gate, RECORDS_BEFORE_CUT), results, deadLetters);
        JobClient firstJob = first.executeAsync("before-savepoint");
        // Window 0 for alice and bob, plus the malformed and the late event: all ten records are through.
        MiniClusters.waitUntil("the first ten records to be processed", DEADLINE,
                () -> results.size() == 2 && deadLetters.size() == 2,
                () -> "results=" + results.values() + " deadLetters=" + deadLetters.values());
        String savepoint = firstJob
                .stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(firstJob.getJobStatus().get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(JobStatus.FINISHED);
        PauseAfter.release(gate);
        // The gate held: nothing past the cut was processed before the savepoint.
        assertThat(results.values()).containsExactlyInAnyOrder(
                Scenario.EXPECTED_RESULTS.get(0), Scenario.EXPECTED_RESULTS.get(1));
        assertThat(deadLetters.values()).hasSize(2);

        // Second run: same graph and uids, restored from the savepoint, source unthrottled.
        StreamExecutionEnvironment second = environment(RateLimiterStrategy.noOp(), results, deadLetters);
        StreamGraph graph = second.getStreamGraph();
        graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        second.execute(graph);

        assertThat(results.values()).containsExactlyInAnyOrderElementsOf(expectedResults.values());
        assertThat(deadLetters.values()).containsExactlyInAnyOrderElementsOf(expectedDeadLetters.values());
    }

    private static StreamExecutionEnvironment environment(
            RateLimiterStrategy rateLimiter, CollectingSink<EngagementResult> results, CollectingSink<DeadLetter> deadLetters) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        // Replays Scenario.INPUT by index; its split position is part of the savepoint.
        DataGeneratorSource<String> source = new DataGeneratorSource<>(
                index -> Scenario.INPUT.get(index.intValue()), Scenario.INPUT.size(), rateLimiter, Types.STRING);
        EngagementPipeline.Outputs out = EngagementPipeline.build(
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "scenario").uid("scenario-source"),
                Scenario.CONFIG);
        out.results.sinkTo(results).uid("results-sink");
        out.deadLetters.sinkTo(deadLetters).uid("dead-letter-sink");
        return env;
    }

    /**
     * Lets a fixed number of records through, then holds the source until released. The source
     * asks for a permit before each record; a held permit leaves the task responsive, so the
     * savepoint barrier still passes.
     */
    static final class PauseAfter implements RateLimiterStrategy {
        private static final long serialVersionUID = 1L;
        private static final Map<String, CompletableFuture<Void>> GATES = new ConcurrentHashMap<>();

        private final String gate;
        private final int permits;

        PauseAfter(String gate, int permits) {
            this.gate = gate;
            this.permits = permits;
            GATES.put(gate, new CompletableFuture<>());
        }

        static void release(String gate) {
            GATES.get(gate).complete(null);
        }

        @Override
        public RateLimiter createRateLimiter(int parallelism) {
            CompletableFuture<Void> released = GATES.get(gate);
            List<Object> granted = new ArrayList<>();
            return () -> {
                if (granted.size() < permits) {
                    granted.add(Boolean.TRUE);
                    return CompletableFuture.completedFuture(null);
                }
                CompletionStage<Void> held = released;
                return held;
            };
        }
    }
}
