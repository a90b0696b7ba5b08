package dev.managedflink.engagement;

import com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Settings from Managed Flink application property groups.
 *
 * <p>On Managed Flink the groups come from the application's runtime properties (the service
 * writes them to {@code /etc/flink/application_properties.json}). Anywhere else pass
 * {@code --application-properties FILE}, a JSON file in the same format, as the local fallback.
 */
public final class JobSettings {

    public static final String INPUT_GROUP = "InputStream0";
    public static final String OUTPUT_GROUP = "OutputStream0";
    public static final String DEAD_LETTER_GROUP = "DeadLetterStream0";
    public static final String PIPELINE_GROUP = "EngagementMetrics";

    public static final String STREAM_NAME = "stream.name";
    public static final String REGION = "aws.region";
    public static final String INITIAL_POSITION = "flink.stream.initpos";

    public static final String LOCAL_PROPERTIES_FLAG = "--application-properties";

    public final StreamSettings input;
    public final StreamSettings output;
    /** Empty: dead letters go to the task managers' log instead of a stream. */
    public final Optional<StreamSettings> deadLetters;
    public final PipelineConfig pipeline;

    /** A Kinesis stream and the connector properties (everything in its group but the name). */
    public static final class StreamSettings {
        public final String streamName;
        public final Properties connectorProperties;

        StreamSettings(String streamName, Properties connectorProperties) {
            this.streamName = streamName;
            this.connectorProperties = connectorProperties;
        }
    }

    private JobSettings(StreamSettings input, StreamSettings output, Optional<StreamSettings> deadLetters, PipelineConfig pipeline) {
        this.input = input;
        this.output = output;
        this.deadLetters = deadLetters;
        this.pipeline = pipeline;
    }

    public static JobSettings load(String[] args) throws IOException {
        return fromPropertyGroups(loadPropertyGroups(args));
    }

    static Map<String, Properties> loadPropertyGroups(String[] args) throws IOException {
        for (int i = 0; i < args.length; i++) {
            if (LOCAL_PROPERTIES_FLAG.equals(args[i])) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(LOCAL_PROPERTIES_FLAG + " needs a file path");
                }
                return KinesisAnalyticsRuntime.getApplicationProperties(args[i + 1]);
            }
        }
        try {
            return KinesisAnalyticsRuntime.getApplicationProperties();
        } catch (FileNotFoundException e) {
            throw new IllegalStateException(
                    "No Managed Flink runtime properties found (" + e.getMessage() + "); outside Managed Flink run with "
                            + LOCAL_PROPERTIES_FLAG + " FILE",
                    e);
        }
    }

    public static JobSettings fromPropertyGroups(Map<String, Properties> groups) {
        StreamSettings input = stream(groups, INPUT_GROUP, true);
        input.connectorProperties.putIfAbsent(INITIAL_POSITION, "LATEST");
        StreamSettings output = stream(groups, OUTPUT_GROUP, true);
        Optional<StreamSettings> deadLetters = groups.containsKey(DEAD_LETTER_GROUP)
                ? Optional.of(stream(groups, DEAD_LETTER_GROUP, true))
                : Optional.empty();
        PipelineConfig pipeline = PipelineConfig.fromProperties(groups.getOrDefault(PIPELINE_GROUP, new Properties()));
        return new JobSettings(input, output, deadLetters, pipeline);
    }

    private static StreamSettings stream(Map<String, Properties> groups, String group, boolean regionRequired) {
        Properties props = groups.get(group);
        if (props == null) {
            throw new IllegalArgumentException("missing property group " + group);
        }
        Properties copy = new Properties();
        copy.putAll(props);
        String name = (String) copy.remove(STREAM_NAME);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("property group " + group + " needs " + STREAM_NAME);
        }
        if (regionRequired && (copy.getProperty(REGION) == null || copy.getProperty(REGION).isBlank())) {
            throw new IllegalArgumentException("property group " + group + " needs " + REGION);
        }
        return new StreamSettings(name.trim(), copy);
    }
}
