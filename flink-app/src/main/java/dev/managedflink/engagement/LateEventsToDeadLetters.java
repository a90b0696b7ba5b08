package dev.managedflink.engagement;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Counts events whose window was already emitted and turns them into dead letters. */
public class LateEventsToDeadLetters extends ProcessFunction<UserEvent, DeadLetter> {
    private static final long serialVersionUID = 1L;

    public static final String LATE_COUNTER = "lateEvents";

    private transient EventParser parser;
    private transient Counter late;

    @Override
    public void open(OpenContext openContext) {
        parser = new EventParser();
        late = getRuntimeContext().getMetricGroup().counter(LATE_COUNTER);
    }

    @Override
    public void processElement(UserEvent event, Context ctx, Collector<DeadLetter> out) {
        late.inc();
        out.collect(new DeadLetter(
                DeadLetter.Reason.LATE, parser.toJson(event), "window already emitted", event.timestamp));
    }
}
