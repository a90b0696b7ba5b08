package dev.managedflink.engagement;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * Builds the production graph with the real Kinesis connectors (no AWS calls happen before the job
 * runs). Catches connector/runtime API mismatches and operators that lack a stable uid.
 */
class ProductionGraphTest {

    private static JobSettings settings() throws Exception {
        String file = Paths.get(ProductionGraphTest.class.getResource("/test-application-properties.json").toURI()).toString();
        return JobSettings.load(new String[] {"--application-properties", file});
    }

    @Test
    void everyOperatorHasAStableUid() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        EngagementMetricsJob.build(env, settings());
        StreamGraph graph = env.getStreamGraph();

        List<String> withoutUid = graph.getStreamNodes().stream()
                .filter(n -> n.getTransformationUID() == null)
                .map(StreamNode::getOperatorName)
                .collect(Collectors.toList());
        assertThat(withoutUid).isEmpty();

        List<String> uids = graph.getStreamNodes().stream().map(StreamNode::getTransformationUID).collect(Collectors.toList());
        assertThat(uids).contains(
                KinesisConnectors.UID_SOURCE,
                EngagementPipeline.UID_PARSE,
                EngagementPipeline.UID_WATERMARKS,
                EngagementPipeline.UID_WINDOW,
                EngagementPipeline.UID_LATE);
        assertThat(uids).anySatisfy(u -> assertThat(u).startsWith(KinesisConnectors.UID_RESULT_SINK));
        assertThat(uids).anySatisfy(u -> assertThat(u).startsWith(KinesisConnectors.UID_DEAD_LETTER_SINK));
        // The job graph (what Managed Flink submits) must also build.
        assertThat(graph.getJobGraph().getNumberOfVertices()).isPositive();
    }
}
