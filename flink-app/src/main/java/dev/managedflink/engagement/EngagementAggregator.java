package dev.managedflink.engagement;

import java.math.BigDecimal;
import org.apache.flink.api.common.functions.AggregateFunction;

/**
 * Incrementally folds a user's events into counts, so a window keeps one small accumulator per
 * user instead of buffering every event until it fires.
 */
public class EngagementAggregator
        implements AggregateFunction<UserEvent, EngagementAggregator.Accumulator, EngagementAggregator.Accumulator> {
    private static final long serialVersionUID = 1L;

    public static final String PAGE_VIEW = "page_view";
    public static final String CLICK = "click";
    public static final String PURCHASE = "purchase";

    /** Flink POJO so it lives in state with the POJO serializer (schema evolution friendly). */
    public static class Accumulator {
        public long eventCount;
        public long pageViews;
        public long clicks;
        public long purchases;
        public BigDecimal totalAmount = BigDecimal.ZERO;

        public Accumulator() {}
    }

    @Override
    public Accumulator createAccumulator() {
        return new Accumulator();
    }

    @Override
    public Accumulator add(UserEvent event, Accumulator acc) {
        acc.eventCount++;
        // Unknown event types still count towards eventCount, so the per-type counts never
        // explain more events than arrived.
        switch (event.eventType) {
            case PAGE_VIEW:
                acc.pageViews++;
                break;
            case CLICK:
                acc.clicks++;
                break;
            case PURCHASE:
                acc.purchases++;
                break;
            default:
                break;
        }
        if (event.amount != null) {
            acc.totalAmount = acc.totalAmount.add(event.amount);
        }
        return acc;
    }

    @Override
    public Accumulator getResult(Accumulator acc) {
        return acc;
    }

    @Override
    public Accumulator merge(Accumulator a, Accumulator b) {
        Accumulator merged = new Accumulator();
        merged.eventCount = a.eventCount + b.eventCount;
        merged.pageViews = a.pageViews + b.pageViews;
        merged.clicks = a.clicks + b.clicks;
        merged.purchases = a.purchases + b.purchases;
        merged.totalAmount = a.totalAmount.add(b.totalAmount);
        return merged;
    }
}
