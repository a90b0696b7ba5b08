package dev.managedflink.engagement;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** Checks the jar Managed Flink receives, after the shade plugin built it. */
class ShadedJarIT {

    @Test
    void manifestNamesTheMainClassAndTheJarCarriesItsDependencies() throws Exception {
        File jar = new File(System.getProperty("shaded.jar"));
        assertThat(jar).isFile();
        try (JarFile jf = new JarFile(jar)) {
            String mainClass = jf.getManifest().getMainAttributes().getValue("Main-Class");
            assertThat(mainClass).isEqualTo(System.getProperty("main.class")).isEqualTo(EngagementMetricsJob.class.getName());
            assertThat(jf.getEntry(mainClass.replace('.', '/') + ".class")).isNotNull();

            // Bundled: the Kinesis connector, the runtime-properties library, our relocated Jackson.
            assertThat(jf.getEntry("org/apache/flink/connector/kinesis/sink/KinesisStreamsSink.class")).isNotNull();
            assertThat(jf.getEntry("org/apache/flink/streaming/connectors/kinesis/FlinkKinesisConsumer.class")).isNotNull();
            assertThat(jf.getEntry("com/amazonaws/services/kinesisanalytics/runtime/KinesisAnalyticsRuntime.class")).isNotNull();
            assertThat(jf.getEntry("dev/managedflink/engagement/shaded/jackson/databind/ObjectMapper.class")).isNotNull();
            assertThat(jf.getEntry("com/fasterxml/jackson/databind/ObjectMapper.class")).isNull();

            // Not bundled: Flink itself is provided by the runtime.
            assertThat(jf.getEntry("org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class")).isNull();
            assertThat(jf.getEntry("org/apache/flink/connector/base/sink/AsyncSinkBase.class")).isNull();
        }
    }
}
