package dev.managedflink.engagement;

import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.kinesis.sink.KinesisStreamsSink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.PrintSink;
import org.apache.flink.streaming.connectors.kinesis.FlinkKinesisConsumer;

/**
 * The only place that knows about Kinesis. Moving to the FLIP-27 {@code KinesisStreamsSource}
 * (connector 5.x) touches this class alone; see docs/adr/0004-flink-runtime.md.
 */
public final class KinesisConnectors {

    public static final String UID_SOURCE = "kinesis-source";
    public static final String UID_RESULT_SINK = "kinesis-results-sink";
    public static final String UID_DEAD_LETTER_SINK = "dead-letter-sink";

    private KinesisConnectors() {}

    // The 4.x connector's source is a SourceFunction (deprecated API); ADR 4 says why and when it goes.
    @SuppressWarnings("deprecation")
    public static DataStream<String> source(StreamExecutionEnvironment env, JobSettings settings) {
        FlinkKinesisConsumer<String> consumer = new FlinkKinesisConsumer<>(
                settings.input.streamName, new SimpleStringSchema(), settings.input.connectorProperties);
        return env.addSource(consumer).uid(UID_SOURCE).name("Kinesis: " + settings.input.streamName);
    }

    // Stream names, not ARNs: the 4.x source only takes names, and one way to name streams in
    // every property group is easier to get right.
    @SuppressWarnings("deprecation")
    public static KinesisStreamsSink<EngagementResult> resultSink(JobSettings settings) {
        return KinesisStreamsSink.<EngagementResult>builder()
                .setStreamName(settings.output.streamName)
                .setKinesisClientProperties(settings.output.connectorProperties)
                .setSerializationSchema(new JsonSerialization<>())
                // One user's results stay ordered on one shard.
                .setPartitionKeyGenerator(result -> result.userId)
                .build();
    }

    @SuppressWarnings("deprecation")
    public static KinesisStreamsSink<DeadLetter> deadLetterSink(JobSettings.StreamSettings stream) {
        return KinesisStreamsSink.<DeadLetter>builder()
                .setStreamName(stream.streamName)
                .setKinesisClientProperties(stream.connectorProperties)
                .setSerializationSchema(new JsonSerialization<>())
                .setPartitionKeyGenerator(deadLetter -> deadLetter.reason + "-" + Integer.toHexString(String.valueOf(deadLetter.payload).hashCode()))
                .build();
    }

    /** Wires both outputs; without a dead-letter stream they go to the log, never nowhere. */
    public static void attachSinks(EngagementPipeline.Outputs outputs, JobSettings settings) {
        outputs.results.sinkTo(resultSink(settings)).uid(UID_RESULT_SINK).name("Kinesis: " + settings.output.streamName);
        if (settings.deadLetters.isPresent()) {
            JobSettings.StreamSettings stream = settings.deadLetters.get();
            outputs.deadLetters.sinkTo(deadLetterSink(stream)).uid(UID_DEAD_LETTER_SINK).name("Kinesis: " + stream.streamName);
        } else {
            outputs.deadLetters
                    .map(deadLetter -> deadLetter.toString())
                    .uid("dead-letter-format")
                    .sinkTo(new PrintSink<>("dead-letter", true))
                    .uid(UID_DEAD_LETTER_SINK)
                    .name("Dead letters to log");
        }
    }
}
