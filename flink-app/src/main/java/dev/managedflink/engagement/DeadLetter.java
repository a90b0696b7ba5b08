package dev.managedflink.engagement;

import java.util.Objects;

/** An input the job could not count, with why, so it can be inspected or replayed. */
public class DeadLetter {
    public enum Reason {
        /** Not JSON, or missing / mistyped required fields. */
        MALFORMED,
        /** Parsed, but its window had already been emitted when it arrived. */
        LATE
    }

    public Reason reason;
    /** The raw record for MALFORMED; the re-serialized event for LATE. */
    public String payload;
    public String detail;
    /** Event time when known (LATE), otherwise null. */
    public Long eventTimestamp;

    public DeadLetter() {}

    public DeadLetter(Reason reason, String payload, String detail, Long eventTimestamp) {
        this.reason = reason;
        this.payload = payload;
        this.detail = detail;
        this.eventTimestamp = eventTimestamp;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof DeadLetter)) return false;
        DeadLetter that = (DeadLetter) o;
        return reason == that.reason
                && Objects.equals(payload, that.payload)
                && Objects.equals(detail, that.detail)
                && Objects.equals(eventTimestamp, that.eventTimestamp);
    }

    @Override
    public int hashCode() {
        return Objects.hash(reason, payload, detail, eventTimestamp);
    }

    @Override
    public String toString() {
        return "DeadLetter{reason=" + reason + ", payload=" + payload + ", detail=" + detail
                + ", eventTimestamp=" + eventTimestamp + '}';
    }
}
