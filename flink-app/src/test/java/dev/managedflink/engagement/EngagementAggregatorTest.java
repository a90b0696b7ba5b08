package dev.managedflink.engagement;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class EngagementAggregatorTest {
    private final EngagementAggregator agg = new EngagementAggregator();

    private static UserEvent ev(String type, String amount) {
        return new UserEvent("u", type, null, amount == null ? null : new BigDecimal(amount), 0);
    }

    private EngagementAggregator.Accumulator fold(UserEvent... events) {
        EngagementAggregator.Accumulator acc = agg.createAccumulator();
        for (UserEvent e : events) {
            acc = agg.add(e, acc);
        }
        return agg.getResult(acc);
    }

    @Test
    void countsEachEventTypeAndSumsAmounts() {
        EngagementAggregator.Accumulator acc = fold(
                ev("page_view", null), ev("page_view", null), ev("click", null), ev("purchase", "19.99"), ev("purchase", "0.01"));
        assertThat(acc.eventCount).isEqualTo(5);
        assertThat(acc.pageViews).isEqualTo(2);
        assertThat(acc.clicks).isEqualTo(1);
        assertThat(acc.purchases).isEqualTo(2);
        assertThat(acc.totalAmount).isEqualTo(new BigDecimal("20.00"));
    }

    @Test
    void unknownTypesCountOnlyAsEvents() {
        EngagementAggregator.Accumulator acc = fold(ev("scroll", null), ev("Click", null));
        assertThat(acc.eventCount).isEqualTo(2);
        assertThat(acc.pageViews + acc.clicks + acc.purchases).isZero();
        assertThat(acc.totalAmount).isEqualTo(BigDecimal.ZERO);
    }

    @Test
    void sumsExactlyWhereDoublesWouldDrift() {
        UserEvent[] tenCents = new UserEvent[10];
        for (int i = 0; i < tenCents.length; i++) {
            tenCents[i] = ev("purchase", "0.1");
        }
        assertThat(fold(tenCents).totalAmount).isEqualTo(new BigDecimal("1.0"));
    }

    @Test
    void mergeEqualsFoldingEverythingIntoOne() {
        EngagementAggregator.Accumulator a = fold(ev("click", null), ev("purchase", "3.50"));
        EngagementAggregator.Accumulator b = fold(ev("page_view", null), ev("purchase", "1.25"));
        EngagementAggregator.Accumulator merged = agg.merge(a, b);
        EngagementAggregator.Accumulator all =
                fold(ev("click", null), ev("purchase", "3.50"), ev("page_view", null), ev("purchase", "1.25"));
        assertThat(merged).usingRecursiveComparison().isEqualTo(all);
    }
}
