package dev.managedflink.engagement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class JobSettingsTest {

    private static String testPropertiesFile() throws Exception {
        Path p = Paths.get(JobSettingsTest.class.getResource("/test-application-properties.json").toURI());
        return p.toString();
    }

    @Test
    void readsManagedFlinkPropertyGroupsFromTheLocalFallbackFile() throws Exception {
        JobSettings s = JobSettings.load(new String[] {"--application-properties", testPropertiesFile()});

        assertThat(s.input.streamName).isEqualTo("user-events");
        assertThat(s.input.connectorProperties)
                .containsEntry("aws.region", "eu-west-1")
                .containsEntry("flink.stream.initpos", "TRIM_HORIZON")
                .doesNotContainKey("stream.name");
        assertThat(s.output.streamName).isEqualTo("engagement-metrics");
        assertThat(s.deadLetters).hasValueSatisfying(d -> assertThat(d.streamName).isEqualTo("engagement-dead-letters"));
        assertThat(s.pipeline.windowSize).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.pipeline.maxOutOfOrderness).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.pipeline.idleness).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.pipeline.emitWatermarkPerEvent).isFalse();
    }

    @Test
    void defaultsWhereOptionalSettingsAreAbsent() {
        Map<String, Properties> groups = new HashMap<>();
        groups.put("InputStream0", props("stream.name", "in", "aws.region", "us-east-1"));
        groups.put("OutputStream0", props("stream.name", "out", "aws.region", "us-east-1"));

        JobSettings s = JobSettings.fromPropertyGroups(groups);

        assertThat(s.input.connectorProperties).containsEntry("flink.stream.initpos", "LATEST");
        assertThat(s.deadLetters).isEmpty();
        assertThat(s.pipeline).usingRecursiveComparison().isEqualTo(PipelineConfig.defaults());
    }

    @Test
    void namesTheMissingSetting() {
        Map<String, Properties> groups = new HashMap<>();
        groups.put("InputStream0", props("stream.name", "in", "aws.region", "us-east-1"));
        assertThatThrownBy(() -> JobSettings.fromPropertyGroups(groups)).hasMessageContaining("OutputStream0");

        groups.put("OutputStream0", props("aws.region", "us-east-1"));
        assertThatThrownBy(() -> JobSettings.fromPropertyGroups(groups)).hasMessageContaining("OutputStream0 needs stream.name");

        groups.put("OutputStream0", props("stream.name", "out"));
        assertThatThrownBy(() -> JobSettings.fromPropertyGroups(groups)).hasMessageContaining("OutputStream0 needs aws.region");
    }

    @Test
    void rejectsBadDurations() {
        assertThatThrownBy(() -> PipelineConfig.fromProperties(props("window.size", "1m")))
                .hasMessageContaining("window.size must be an ISO-8601 duration");
        assertThatThrownBy(() -> PipelineConfig.fromProperties(props("window.size", "PT0S")))
                .hasMessageContaining("window.size must be positive");
        assertThatThrownBy(() -> PipelineConfig.fromProperties(props("allowed-lateness", "-PT1S")))
                .hasMessageContaining("must not be negative");
    }

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }
}
