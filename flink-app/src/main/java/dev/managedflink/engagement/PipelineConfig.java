package dev.managedflink.engagement;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;

/** Event-time settings of the pipeline; defaults are the documented production values. */
public final class PipelineConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String WINDOW_SIZE = "window.size";
    public static final String MAX_OUT_OF_ORDERNESS = "watermark.max-out-of-orderness";
    public static final String IDLENESS = "watermark.idleness";
    public static final String ALLOWED_LATENESS = "allowed-lateness";
    public static final String WATERMARK_PER_EVENT = "watermark.emit-per-event";

    public final Duration windowSize;
    public final Duration maxOutOfOrderness;
    /** Zero disables idleness detection. */
    public final Duration idleness;
    public final Duration allowedLateness;
    /**
     * Emit a watermark after every event instead of on Flink's periodic timer. Periodic emission is
     * cheaper and is the production default, but whether an event counts as late then depends on
     * when the timer fired; emitting per event makes lateness a function of input order alone,
     * which is what deterministic tests need.
     */
    public final boolean emitWatermarkPerEvent;

    public PipelineConfig(
            Duration windowSize,
            Duration maxOutOfOrderness,
            Duration idleness,
            Duration allowedLateness,
            boolean emitWatermarkPerEvent) {
        this.windowSize = requirePositive(WINDOW_SIZE, windowSize);
        this.maxOutOfOrderness = requireNotNegative(MAX_OUT_OF_ORDERNESS, maxOutOfOrderness);
        this.idleness = requireNotNegative(IDLENESS, idleness);
        this.allowedLateness = requireNotNegative(ALLOWED_LATENESS, allowedLateness);
        this.emitWatermarkPerEvent = emitWatermarkPerEvent;
    }

    public static PipelineConfig defaults() {
        return new PipelineConfig(Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ZERO, false);
    }

    /** Reads ISO-8601 durations (e.g. {@code PT10S}) from a property group; absent keys keep defaults. */
    public static PipelineConfig fromProperties(Properties props) {
        PipelineConfig d = defaults();
        return new PipelineConfig(
                duration(props, WINDOW_SIZE, d.windowSize),
                duration(props, MAX_OUT_OF_ORDERNESS, d.maxOutOfOrderness),
                duration(props, IDLENESS, d.idleness),
                duration(props, ALLOWED_LATENESS, d.allowedLateness),
                Boolean.parseBoolean(props.getProperty(WATERMARK_PER_EVENT, String.valueOf(d.emitWatermarkPerEvent)).trim()));
    }

    public PipelineConfig withEmitWatermarkPerEvent(boolean perEvent) {
        return new PipelineConfig(windowSize, maxOutOfOrderness, idleness, allowedLateness, perEvent);
    }

    public PipelineConfig withIdleness(Duration newIdleness) {
        return new PipelineConfig(windowSize, maxOutOfOrderness, newIdleness, allowedLateness, emitWatermarkPerEvent);
    }

    private static Duration duration(Properties props, String key, Duration fallback) {
        String value = props.getProperty(key);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Duration.parse(value.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " must be an ISO-8601 duration such as PT10S, got '" + value + "'", e);
        }
    }

    private static Duration requirePositive(String key, Duration d) {
        Objects.requireNonNull(d, key);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(key + " must be positive, got " + d);
        }
        return d;
    }

    private static Duration requireNotNegative(String key, Duration d) {
        Objects.requireNonNull(d, key);
        if (d.isNegative()) {
            throw new IllegalArgumentException(key + " must not be negative, got " + d);
        }
        return d;
    }

    @Override
    public String toString() {
        return "PipelineConfig{windowSize=" + windowSize + ", maxOutOfOrderness=" + maxOutOfOrderness
                + ", idleness=" + idleness + ", allowedLateness=" + allowedLateness
                + ", emitWatermarkPerEvent=" + emitWatermarkPerEvent + '}';
    }
}
