package dev.managedflink.engagement;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point named in the jar manifest; Managed Flink starts it.
 *
 * <p>Checkpointing, parallelism and the state backend are not set here: Managed Flink configures
 * them from the application's configuration and rejects (2.x) or overrides (1.x) values set in code.
 */
public final class EngagementMetricsJob {
    private static final Logger LOG = LoggerFactory.getLogger(EngagementMetricsJob.class);

    private EngagementMetricsJob() {}

    public static void main(String[] args) throws Exception {
        JobSettings settings = JobSettings.load(args);
        LOG.info("Starting engagement metrics: input={}, output={}, deadLetters={}, {}",
                settings.input.streamName,
                settings.output.streamName,
                settings.deadLetters.map(s -> s.streamName).orElse("(task manager log)"),
                settings.pipeline);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, settings);
        env.execute("engagement-metrics");
    }

    /** The production graph: Kinesis in, pipeline, Kinesis out. */
    static void build(StreamExecutionEnvironment env, JobSettings settings) {
        DataStream<String> raw = KinesisConnectors.source(env, settings);
        EngagementPipeline.Outputs outputs = EngagementPipeline.build(raw, settings.pipeline);
        KinesisConnectors.attachSinks(outputs, settings);
    }
}
