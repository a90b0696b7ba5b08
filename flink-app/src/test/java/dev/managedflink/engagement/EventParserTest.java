package dev.managedflink.engagement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventParserTest {
    private final EventParser parser = new EventParser();

    @Test
    void parsesAllFields() throws Exception {
        UserEvent e = parser.parse(
                "{\"userId\":\"u1\",\"eventType\":\"purchase\",\"page\":\"/cart\",\"amount\":19.99,\"timestamp\":1700000000123}");
        assertThat(e).isEqualTo(new UserEvent("u1", "purchase", "/cart", new BigDecimal("19.99"), 1_700_000_000_123L));
    }

    @Test
    void pageAndAmountAreOptional() throws Exception {
        UserEvent e = parser.parse("{\"userId\":\"u1\",\"eventType\":\"click\",\"timestamp\":5,\"page\":null}");
        assertThat(e).isEqualTo(new UserEvent("u1", "click", null, null, 5L));
    }

    @Test
    void keepsAmountDigitsExactly() throws Exception {
        // A double would turn 0.1 into 0.1000000000000000055511151231257827...
        assertThat(parser.parse("{\"userId\":\"u\",\"eventType\":\"purchase\",\"amount\":0.1,\"timestamp\":1}").amount)
                .isEqualTo(new BigDecimal("0.1"));
        assertThat(parser.parse("{\"userId\":\"u\",\"eventType\":\"purchase\",\"amount\":7,\"timestamp\":1}").amount)
                .isEqualTo(new BigDecimal("7"));
        assertThat(parser.parse("{\"userId\":\"u\",\"eventType\":\"purchase\",\"amount\":10.50,\"timestamp\":1}").amount)
                .isEqualTo(new BigDecimal("10.50"));
    }

    @Test
    void ignoresUnknownFields() throws Exception {
        UserEvent e = parser.parse("{\"userId\":\"u\",\"eventType\":\"click\",\"timestamp\":1,\"sessionId\":\"s\"}");
        assertThat(e.userId).isEqualTo("u");
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``|empty record",
        "`not json`|not valid JSON",
        "`[1,2]`|not a JSON object",
        "`\"text\"`|not a JSON object",
        "`{\"eventType\":\"click\",\"timestamp\":1}`|userId is missing",
        "`{\"userId\":\" \",\"eventType\":\"click\",\"timestamp\":1}`|userId must be a non-empty string",
        "`{\"userId\":42,\"eventType\":\"click\",\"timestamp\":1}`|userId must be a non-empty string",
        "`{\"userId\":\"u\",\"timestamp\":1}`|eventType is missing",
        "`{\"userId\":\"u\",\"eventType\":\"click\"}`|timestamp is missing",
        "`{\"userId\":\"u\",\"eventType\":\"click\",\"timestamp\":\"1700000000000\"}`|timestamp must be an integer",
        "`{\"userId\":\"u\",\"eventType\":\"click\",\"timestamp\":1.5}`|timestamp must be an integer",
        "`{\"userId\":\"u\",\"eventType\":\"click\",\"timestamp\":-1}`|timestamp must not be negative",
        "`{\"userId\":\"u\",\"eventType\":\"click\",\"timestamp\":99999999999999999999}`|timestamp must be an integer",
        "`{\"userId\":\"u\",\"eventType\":\"click\",\"timestamp\":1,\"amount\":\"9.99\"}`|amount must be a number",
        "`{\"userId\":\"u\",\"eventType\":\"click\",\"timestamp\":1,\"page\":3}`|page must be a string",
        "`{\"userId\":\"u\",\"eventType\":\"click\",\"timestamp\":1} {}`|not valid JSON",
        "`{\"userId\":\"u\",\"userId\":\"v\",\"eventType\":\"click\",\"timestamp\":1}`|not valid JSON",
    })
    void rejectsMalformedRecordsWithAReason(String raw, String reason) {
        assertThatThrownBy(() -> parser.parse(raw))
                .isInstanceOf(EventParser.InvalidEventException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void writesResultsAsPlainJson() {
        String json = parser.toJson(new EngagementResult("u", 0, 60_000, 2, 1, 0, 1, new BigDecimal("1E+2")));
        assertThat(json).isEqualTo("{\"userId\":\"u\",\"windowStart\":0,\"windowEnd\":60000,\"eventCount\":2,"
                + "\"pageViews\":1,\"clicks\":0,\"purchases\":1,\"totalAmount\":100}");
    }
}
