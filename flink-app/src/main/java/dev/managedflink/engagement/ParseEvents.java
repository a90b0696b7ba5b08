package dev.managedflink.engagement;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Parses raw records; anything unparseable is counted and diverted, never dropped. */
public class ParseEvents extends ProcessFunction<String, UserEvent> {
    private static final long serialVersionUID = 1L;

    public static final String MALFORMED_COUNTER = "malformedEvents";

    private final OutputTag<DeadLetter> malformedTag;

    private transient EventParser parser;
    private transient Counter malformed;

    public ParseEvents(OutputTag<DeadLetter> malformedTag) {
        this.malformedTag = malformedTag;
    }

    @Override
    public void open(OpenContext openContext) {
        parser = new EventParser();
        malformed = getRuntimeContext().getMetricGroup().counter(MALFORMED_COUNTER);
    }

    @Override
    public void processElement(String raw, Context ctx, Collector<UserEvent> out) {
        try {
            out.collect(parser.parse(raw));
        } catch (EventParser.InvalidEventException e) {
            malformed.inc();
            ctx.output(malformedTag, new DeadLetter(DeadLetter.Reason.MALFORMED, raw, e.getMessage(), null));
        }
    }
}
