package dev.managedflink.engagement;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Idle inputs, as production runs the job: two parallel inputs standing for two Kinesis shards,
 * periodic watermarks, idleness on. The shared notes reported on-time events dead-lettered as LATE
 * at parallelism 2 after both shards had been idle. What Flink does (and these tests pin down):
 *
 * <ul>
 *   <li>a shard quiet for longer than {@code watermark.idleness} stops holding the watermark back;
 *       once every shard is idle, the window operator's watermark moves to the highest watermark of
 *       any shard (Flink's StatusWatermarkValve "flushes" on all-idle), so windows fire;</li>
 *   <li>so an event that lags the newest event of another shard by more than
 *       {@code watermark.max-out-of-orderness} can be LATE, where without idleness it would wait for
 *       its own shard. It is dead-lettered and counted, never silently dropped;</li>
 *   <li>an event within the out-of-orderness bound of the newest event any shard has delivered when
 *       it arrives is never late, also on a shard still marked idle (Flink marks it active at its
 *       next periodic watermark).</li>
 * </ul>
 *
 * <p>So the LATE letters of the notes are the documented cost of idleness with the bound the job
 * was given (the emulator tests' shards carry event times minutes apart), not a bug to fix.
 */
class IdleInputTest {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = MiniClusters.extension(null);

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    /** Production defaults but a short idleness, so a test need not wait a minute of processing time. */
    private static final PipelineConfig IDLE_AFTER_300_MS = new PipelineConfig(
            Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ofMillis(300), Duration.ZERO, false);
    private static final PipelineConfig NO_IDLENESS = IDLE_AFTER_300_MS.withIdleness(Duration.ZERO);

    private static final String U1_AT_0_05 = Scenario.event("u1", "click", 0, 5);
    private static final String U2_AT_1_20 = Scenario.event("u2", "click", 1, 20);
    /** 50 s behind shard 1's newest event (1:20): outside the 10 s bound, but on time for its own shard. */
    private static final String U1_AT_0_30 = Scenario.event("u1", "page_view", 0, 30);
    /** 8 s behind 1:20: within the bound. */
    private static final String U1_AT_1_12 = Scenario.event("u1", "page_view", 1, 12);

    @Test
    void afterEveryShardWasIdleALaggingShardsEventBeyondTheBoundIsDeadLetteredAsLate() throws Exception {
        try (Job job = Job.start(IDLE_AFTER_300_MS)) {
            job.shard(0).add(U1_AT_0_05);
            job.shard(1).add(U2_AT_1_20);
            // Both shards go quiet: the watermark moves to shard 1's (1:10) and u1's first window fires
            // although shard 0 is still at 0:05.
            job.awaitResult("u1", 0);
            job.shard(0).add(U1_AT_0_30);
            job.finish();
            assertThat(job.results.values()).contains(Scenario.result("u1", 0, 1, 0, 1, 0, "0"));
            assertThat(job.deadLetters.values()).singleElement().satisfies(d -> {
                assertThat(d.reason).isEqualTo(DeadLetter.Reason.LATE);
                assertThat(d.eventTimestamp).isEqualTo(Scenario.at(0, 30));
            });
        }
    }

    @Test
    void withoutIdlenessTheSameEventWaitsForItsOwnShardAndCounts() throws Exception {
        try (Job job = Job.start(NO_IDLENESS)) {
            job.shard(0).add(U1_AT_0_05);
            job.shard(1).add(U2_AT_1_20);
            job.shard(0).add(U1_AT_0_30);
            job.finish();
            assertThat(job.deadLetters.values()).isEmpty();
            assertThat(job.results.values()).contains(Scenario.result("u1", 0, 2, 1, 1, 0, "0"));
        }
    }

    @Test
    void anEventWithinTheBoundIsOnTimeOnAShardThatWasIdle() throws Exception {
        try (Job job = Job.start(IDLE_AFTER_300_MS)) {
            job.shard(0).add(U1_AT_0_05);
            job.shard(1).add(U2_AT_1_20);
            job.awaitResult("u1", 0);
            // Shard 0 resumes while still marked idle (it turns active at its next periodic watermark),
            // 8 s and then 4 s behind the newest event anywhere (1:20).
            job.shard(0).add(U1_AT_1_12);
            job.shard(0).add(Scenario.event("u1", "click", 1, 16));
            // Shard 0 moves on to 2:30, which closes minute 1 (shard 1 is idle). Closing on the same
            // shard keeps the order: u1's events reach the window before that watermark does. (An
            // event added to shard 1 now could arrive after it, 65 s behind: beyond the bound, LATE.)
            job.shard(0).add(Scenario.event("u3", "click", 2, 30));
            job.awaitResult("u1", 1);
            job.awaitResult("u2", 1);
            assertThat(job.deadLetters.values()).isEmpty();
            assertThat(job.results.values()).containsExactlyInAnyOrder(
                    Scenario.result("u1", 0, 1, 0, 1, 0, "0"),
                    Scenario.result("u1", 1, 2, 1, 1, 0, "0"),
                    Scenario.result("u2", 1, 1, 0, 1, 0, "0"));
        }
    }

    /** The pipeline at parallelism 2 behind two scripted inputs, each read by its own subtask. */
    private static final class Job implements AutoCloseable {
        final CollectingSink<EngagementResult> results = new CollectingSink<>();
        final CollectingSink<DeadLetter> deadLetters = new CollectingSink<>();
        private final ScriptedShards shards = new ScriptedShards();
        private JobClient client;

        static Job start(PipelineConfig config) throws Exception {
            Job job = new Job();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            // Periodic watermarks as in production, on a short timer so idleness is detected quickly.
            env.getConfig().setAutoWatermarkInterval(50);
            EngagementPipeline.Outputs out = EngagementPipeline.build(env.addSource(job.shards).name("shards"), config);
            out.results.sinkTo(job.results);
            out.deadLetters.sinkTo(job.deadLetters);
            job.client = env.executeAsync("idle-input-test");
            return job;
        }

        Queue<String> shard(int index) {
            return shards.queue(index);
        }

        void awaitResult(String user, int windowMinute) throws InterruptedException {
            MiniClusters.waitUntil(
                    user + "'s window " + windowMinute + " to fire",
                    DEADLINE,
                    () -> results.values().stream()
                            .anyMatch(r -> r.userId.equals(user) && r.windowStart == Scenario.at(windowMinute, 0)),
                    () -> "results " + results.values() + ", dead letters " + deadLetters.values());
        }

        /** Ends the input once both shards are drained; end of input fires every open window. */
        void finish() throws Exception {
            shards.finish();
            client.getJobExecutionResult().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            shards.finish();
            if (!client.getJobStatus().get().isGloballyTerminalState()) {
                client.cancel().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Subtask i emits what the test adds to queue i, as a shard's consumer would; it ends when the
     * test finishes the input and its queue is empty. Queues live in a static registry (the source is
     * serialized into the job; the MiniCluster runs in this JVM).
     */
    private static final class ScriptedShards extends RichParallelSourceFunction<String> {
        private static final long serialVersionUID = 1L;
        private static final Map<String, Map<Integer, Queue<String>>> QUEUES = new ConcurrentHashMap<>();
        private static final Map<String, Boolean> FINISHED = new ConcurrentHashMap<>();

        private final String id = UUID.randomUUID().toString();
        private volatile boolean cancelled;

        Queue<String> queue(int index) {
            return QUEUES.computeIfAbsent(id, k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(index, k -> new ConcurrentLinkedQueue<>());
        }

        void finish() {
            FINISHED.put(id, true);
        }

        @Override
        public void run(SourceContext<String> ctx) throws Exception {
            Queue<String> queue = queue(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
            while (!cancelled) {
                String record = queue.poll();
                if (record != null) {
                    synchronized (ctx.getCheckpointLock()) {
                        ctx.collect(record);
                    }
                } else if (FINISHED.getOrDefault(id, false)) {
                    return;
                } else {
                    // A poll interval, as a Kinesis consumer's between GetRecords calls.
                    Thread.sleep(5);
                }
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }
}
