package dev.managedflink.engagement;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * Engagement of one user in one event-time window. {@code windowStart} and {@code windowEnd} (epoch
 * millis, end exclusive) are the result's time: the same input always yields the same result,
 * whenever it is processed.
 */
public class EngagementResult {
    public String userId;
    public long windowStart;
    public long windowEnd;
    public long eventCount;
    public long pageViews;
    public long clicks;
    public long purchases;
    public BigDecimal totalAmount;

    public EngagementResult() {}

    public EngagementResult(
            String userId,
            long windowStart,
            long windowEnd,
            long eventCount,
            long pageViews,
            long clicks,
            long purchases,
            BigDecimal totalAmount) {
        this.userId = userId;
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
        this.eventCount = eventCount;
        this.pageViews = pageViews;
        this.clicks = clicks;
        this.purchases = purchases;
        this.totalAmount = totalAmount;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof EngagementResult)) return false;
        EngagementResult that = (EngagementResult) o;
        return windowStart == that.windowStart
                && windowEnd == that.windowEnd
                && eventCount == that.eventCount
                && pageViews == that.pageViews
                && clicks == that.clicks
                && purchases == that.purchases
                && Objects.equals(userId, that.userId)
                && Objects.equals(totalAmount, that.totalAmount);
    }

    @Override
    public int hashCode() {
        return Objects.hash(userId, windowStart, windowEnd, eventCount, pageViews, clicks, purchases, totalAmount);
    }

    @Override
    public String toString() {
        return "EngagementResult{userId=" + userId + ", window=[" + windowStart + ", " + windowEnd
                + "), eventCount=" + eventCount + ", pageViews=" + pageViews + ", clicks=" + clicks
                + ", purchases=" + purchases + ", totalAmount=" + totalAmount + '}';
    }
}
