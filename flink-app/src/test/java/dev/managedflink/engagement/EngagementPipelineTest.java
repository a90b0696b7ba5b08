package dev.managedflink.engagement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class EngagementPipelineTest {
    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = MiniClusters.extension(REPORTER);

    private static final class Run {
        final JobExecutionResult execution;
        final List<EngagementResult> results;
        final List<DeadLetter> deadLetters;

        Run(JobExecutionResult execution, List<EngagementResult> results, List<DeadLetter> deadLetters) {
            this.execution = execution;
            this.results = results;
            this.deadLetters = deadLetters;
        }
    }

    private static Run run(List<String> input, PipelineConfig config, int parallelism) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(parallelism);
        DataStream<String> raw = env.fromData(input).setParallelism(1);
        EngagementPipeline.Outputs out = EngagementPipeline.build(raw, config);
        CollectingSink<EngagementResult> results = new CollectingSink<>();
        CollectingSink<DeadLetter> deadLetters = new CollectingSink<>();
        out.results.sinkTo(results);
        out.deadLetters.sinkTo(deadLetters);
        JobExecutionResult execution = env.execute("engagement-pipeline-test");
        return new Run(execution, results.values(), deadLetters.values());
    }

    private static long counter(JobExecutionResult execution, String name) {
        Map<String, Metric> metrics = REPORTER.findMetrics(execution.getJobID(), name);
        assertThat(metrics).as("metric %s registered", name).isNotEmpty();
        return metrics.values().stream().mapToLong(m -> ((Counter) m).getCount()).sum();
    }

    @Test
    void computesExactWindowsAndDeadLettersTheMalformedAndLateEvents() throws Exception {
        Run run = run(Scenario.INPUT, Scenario.CONFIG, 1);

        assertThat(run.results).containsExactlyInAnyOrderElementsOf(Scenario.EXPECTED_RESULTS);

        assertThat(run.deadLetters).extracting(d -> d.reason, d -> d.payload).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(DeadLetter.Reason.MALFORMED, Scenario.NOT_JSON),
                org.assertj.core.groups.Tuple.tuple(DeadLetter.Reason.MALFORMED, Scenario.NO_TIMESTAMP),
                org.assertj.core.groups.Tuple.tuple(
                        DeadLetter.Reason.LATE,
                        "{\"userId\":\"alice\",\"eventType\":\"click\",\"page\":null,\"amount\":null,\"timestamp\":"
                                + Scenario.at(0, 30) + "}"));
        DeadLetter late = run.deadLetters.stream().filter(d -> d.reason == DeadLetter.Reason.LATE).findFirst().orElseThrow();
        assertThat(late.eventTimestamp).isEqualTo(Scenario.at(0, 30));
        assertThat(run.deadLetters.stream().filter(d -> d.reason == DeadLetter.Reason.MALFORMED).map(d -> d.detail))
                .containsExactlyInAnyOrder("not valid JSON: Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", "timestamp is missing");

        // No input disappears: every record is either counted in a result or dead-lettered.
        long counted = run.results.stream().mapToLong(r -> r.eventCount).sum();
        assertThat(counted + run.deadLetters.size()).isEqualTo(Scenario.INPUT.size());

        assertThat(counter(run.execution, ParseEvents.MALFORMED_COUNTER)).isEqualTo(2);
        assertThat(counter(run.execution, LateEventsToDeadLetters.LATE_COUNTER)).isEqualTo(1);
    }

    @Test
    void resultTimeIsTheWindowsNotTheWallClock() throws Exception {
        Run run = run(Scenario.INPUT, Scenario.CONFIG, 1);
        assertThat(run.results).allSatisfy(r -> {
            assertThat(r.windowEnd - r.windowStart).isEqualTo(60_000L);
            assertThat(r.windowStart % 60_000L).isZero();
            assertThat(r.windowStart).isBetween(Scenario.T0, Scenario.at(2, 0));
        });
    }

    @Test
    void outOfOrderEventsWithinTheBoundAreNotLate() throws Exception {
        // Newest first, each at most 10 s behind the newest: nothing may be late.
        List<String> input = List.of(
                Scenario.event("u", "click", 0, 59),
                Scenario.event("u", "click", 0, 50),
                Scenario.event("u", "page_view", 0, 49),
                Scenario.purchase("u", "1.10", 0, 55),
                Scenario.event("v", "page_view", 1, 8),
                Scenario.event("u", "click", 0, 59));
        Run run = run(input, Scenario.CONFIG, 1);
        assertThat(run.deadLetters).isEmpty();
        assertThat(run.results).containsExactlyInAnyOrder(
                Scenario.result("u", 0, 5, 1, 3, 1, "1.10"),
                Scenario.result("v", 1, 1, 1, 0, 0, "0"));
    }

    @Test
    void allowedLatenessFoldsLateEventsIntoAnUpdatedResult() throws Exception {
        PipelineConfig lenient = new PipelineConfig(
                Scenario.CONFIG.windowSize, Scenario.CONFIG.maxOutOfOrderness, Scenario.CONFIG.idleness,
                java.time.Duration.ofSeconds(30), true);
        Run run = run(Scenario.INPUT, lenient, 1);
        // Event 10 arrives within the allowed lateness: window 0 fires again for alice with it.
        assertThat(run.deadLetters).extracting(d -> d.reason).containsOnly(DeadLetter.Reason.MALFORMED);
        assertThat(run.results).contains(
                Scenario.result("alice", 0, 3, 1, 1, 1, "19.99"),
                Scenario.result("alice", 0, 4, 1, 2, 1, "19.99"));
    }

    @Test
    void parallelRunGivesTheSameResultsWhenNothingIsLate() throws Exception {
        List<String> onTime = Scenario.INPUT.stream()
                .filter(s -> !s.equals(Scenario.LATE_ALICE_CLICK))
                .collect(Collectors.toList());
        Run run = run(onTime, Scenario.CONFIG.withEmitWatermarkPerEvent(false), 2);
        assertThat(run.results).containsExactlyInAnyOrderElementsOf(Scenario.EXPECTED_RESULTS);
        assertThat(run.deadLetters).extracting(d -> d.reason).containsOnly(DeadLetter.Reason.MALFORMED).hasSize(2);
    }
}
