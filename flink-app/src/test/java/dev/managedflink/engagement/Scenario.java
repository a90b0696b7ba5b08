package dev.managedflink.engagement;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

/**
 * A hand-computed event-time scenario: one-minute windows, 10 s out-of-orderness, watermarks
 * emitted per event so lateness depends on input order only. Arrival order below; the watermark
 * after each event is (max timestamp seen) - 10 s - 1 ms.
 */
final class Scenario {
    /** A minute boundary, so window starts are round numbers. */
    static final long T0 = 1_699_999_980_000L;

    static final PipelineConfig CONFIG = new PipelineConfig(
            Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO, true);

    static long at(int minute, int second) {
        return T0 + minute * 60_000L + second * 1_000L;
    }

    static String event(String user, String type, int minute, int second) {
        return "{\"userId\":\"" + user + "\",\"eventType\":\"" + type + "\",\"timestamp\":" + at(minute, second) + "}";
    }

    static String purchase(String user, String amount, int minute, int second) {
        return "{\"userId\":\"" + user + "\",\"eventType\":\"purchase\",\"page\":\"/checkout\",\"amount\":" + amount
                + ",\"timestamp\":" + at(minute, second) + "}";
    }

    static final String NOT_JSON = "this is not json";
    static final String NO_TIMESTAMP = "{\"userId\":\"dave\",\"eventType\":\"click\"}";
    static final String LATE_ALICE_CLICK = event("alice", "click", 0, 30);

    static final List<String> INPUT = List.of(
            event("alice", "page_view", 0, 5),     // 1  wm 0:-5
            event("bob", "click", 0, 10),          // 2  wm 0:00
            event("alice", "click", 0, 20),        // 3  wm 0:10
            purchase("alice", "19.99", 0, 50),     // 4  wm 0:40
            event("bob", "page_view", 0, 45),      // 5  out of order, within bound
            NOT_JSON,                              // 6  malformed
            event("alice", "page_view", 1, 5),     // 7  wm 0:55 - window 0 still open
            purchase("bob", "5.01", 0, 58),        // 8  out of order, window 0 still open
            event("carol", "page_view", 1, 15),    // 9  wm 1:05 - window [0:00,1:00) fires
            LATE_ALICE_CLICK,                      // 10 late: its window has fired
            NO_TIMESTAMP,                          // 11 malformed
            event("bob", "click", 1, 40),          // 12 wm 1:30
            purchase("alice", "10.50", 2, 10));    // 13 wm 2:00 - window [1:00,2:00) fires; end of input fires [2:00,3:00)

    static EngagementResult result(String user, int windowMinute, long events, long views, long clicks, long purchases, String amount) {
        return new EngagementResult(user, at(windowMinute, 0), at(windowMinute + 1, 0), events, views, clicks, purchases, new BigDecimal(amount));
    }

    static final List<EngagementResult> EXPECTED_RESULTS = List.of(
            result("alice", 0, 3, 1, 1, 1, "19.99"),
            result("bob", 0, 3, 1, 1, 1, "5.01"),
            result("alice", 1, 1, 1, 0, 0, "0"),
            result("carol", 1, 1, 1, 0, 0, "0"),
            result("bob", 1, 1, 0, 1, 0, "0"),
            result("alice", 2, 1, 0, 0, 1, "10.50"));

    private Scenario() {}
}
