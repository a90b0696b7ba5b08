package dev.managedflink.engagement;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.OutputTag;

/**
 * The job's logic as a function from raw records to (results, dead letters), independent of where
 * records come from or go to, so tests drive it with their own sources and sinks.
 */
public final class EngagementPipeline {

    /** Changing any of these breaks savepoint compatibility of deployed applications. */
    public static final String UID_PARSE = "parse-events";
    public static final String UID_WATERMARKS = "event-time-watermarks";
    public static final String UID_WINDOW = "engagement-window";
    public static final String UID_LATE = "late-events";

    static final OutputTag<DeadLetter> MALFORMED = new OutputTag<DeadLetter>("malformed-events") {};
    static final OutputTag<UserEvent> LATE = new OutputTag<UserEvent>("late-events") {};

    /** What the pipeline produces; every input ends up in exactly one of the two streams. */
    public static final class Outputs {
        public final DataStream<EngagementResult> results;
        public final DataStream<DeadLetter> deadLetters;

        Outputs(DataStream<EngagementResult> results, DataStream<DeadLetter> deadLetters) {
            this.results = results;
            this.deadLetters = deadLetters;
        }
    }

    private EngagementPipeline() {}

    public static Outputs build(DataStream<String> rawEvents, PipelineConfig config) {
        SingleOutputStreamOperator<UserEvent> parsed = rawEvents
                .process(new ParseEvents(MALFORMED))
                .uid(UID_PARSE)
                .name("Parse user events");

        // Timestamps are assigned after parsing so each record is parsed once; the seed parsed
        // every record twice (once for the timestamp, once for the fields).
        SingleOutputStreamOperator<UserEvent> timestamped = parsed
                .assignTimestampsAndWatermarks(watermarkStrategy(config))
                .uid(UID_WATERMARKS)
                .name("Event-time watermarks");

        SingleOutputStreamOperator<EngagementResult> results = timestamped
                .keyBy(e -> e.userId)
                .window(TumblingEventTimeWindows.of(config.windowSize))
                .allowedLateness(config.allowedLateness)
                .sideOutputLateData(LATE)
                .aggregate(new EngagementAggregator(), new WindowResult())
                .uid(UID_WINDOW)
                .name("Per-user engagement window");

        DataStream<DeadLetter> late = results
                .getSideOutput(LATE)
                .process(new LateEventsToDeadLetters())
                .uid(UID_LATE)
                .name("Late events");

        DataStream<DeadLetter> deadLetters = parsed.getSideOutput(MALFORMED).union(late);
        return new Outputs(results, deadLetters);
    }

    static WatermarkStrategy<UserEvent> watermarkStrategy(PipelineConfig config) {
        Duration bound = config.maxOutOfOrderness;
        WatermarkStrategy<UserEvent> strategy = config.emitWatermarkPerEvent
                ? WatermarkStrategy.forGenerator(ctx -> new PerEventBoundedOutOfOrderness(bound))
                : WatermarkStrategy.forBoundedOutOfOrderness(bound);
        strategy = strategy.withTimestampAssigner((event, previous) -> event.timestamp);
        if (!config.idleness.isZero()) {
            // A Kinesis shard (or parallel subtask) with no traffic would otherwise hold the
            // watermark back and stop every window from firing.
            strategy = strategy.withIdleness(config.idleness);
        }
        return strategy;
    }

    /** Same watermark arithmetic as Flink's bounded out-of-orderness, emitted on every event. */
    static final class PerEventBoundedOutOfOrderness extends BoundedOutOfOrdernessWatermarks<UserEvent> {
        PerEventBoundedOutOfOrderness(Duration bound) {
            super(bound);
        }

        @Override
        public void onEvent(UserEvent event, long eventTimestamp, WatermarkOutput output) {
            super.onEvent(event, eventTimestamp, output);
            onPeriodicEmit(output);
        }
    }
}
