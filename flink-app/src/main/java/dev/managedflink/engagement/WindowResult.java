package dev.managedflink.engagement;

import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Stamps the aggregate with its key and its window bounds: the result's time is the window's. */
public class WindowResult
        extends ProcessWindowFunction<EngagementAggregator.Accumulator, EngagementResult, String, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(
            String userId,
            Context context,
            Iterable<EngagementAggregator.Accumulator> aggregates,
            Collector<EngagementResult> out) {
        TimeWindow window = context.window();
        for (EngagementAggregator.Accumulator acc : aggregates) {
            out.collect(new EngagementResult(
                    userId,
                    window.getStart(),
                    window.getEnd(),
                    acc.eventCount,
                    acc.pageViews,
                    acc.clicks,
                    acc.purchases,
                    acc.totalAmount));
        }
    }
}
