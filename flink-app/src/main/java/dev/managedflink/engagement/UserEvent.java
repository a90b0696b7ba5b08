package dev.managedflink.engagement;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * One parsed user event. A Flink POJO (public fields, no-arg constructor) so Flink serializes it
 * with its POJO serializer rather than falling back to Kryo.
 */
public class UserEvent {
    public String userId;
    public String eventType;
    /** Absent for events that are not about a page. */
    public String page;
    /**
     * Absent when the event carries no money. Kept as BigDecimal so window totals are exact and do
     * not depend on the order in which events are added.
     */
    public BigDecimal amount;
    /** Event time, epoch milliseconds. */
    public long timestamp;

    public UserEvent() {}

    public UserEvent(String userId, String eventType, String page, BigDecimal amount, long timestamp) {
        this.userId = userId;
        this.eventType = eventType;
        this.page = page;
        this.amount = amount;
        this.timestamp = timestamp;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof UserEvent)) return false;
        UserEvent that = (UserEvent) o;
        return timestamp == that.timestamp
                && Objects.equals(userId, that.userId)
                && Objects.equals(eventType, that.eventType)
                && Objects.equals(page, that.page)
                && Objects.equals(amount, that.amount);
    }

    @Override
    public int hashCode() {
        return Objects.hash(userId, eventType, page, amount, timestamp);
    }

    @Override
    public String toString() {
        return "UserEvent{userId=" + userId + ", eventType=" + eventType + ", page=" + page
                + ", amount=" + amount + ", timestamp=" + timestamp + '}';
    }
}
