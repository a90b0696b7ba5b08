package dev.managedflink.engagement;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;

/**
 * Turns one raw record into a {@link UserEvent}, or says precisely why it cannot.
 *
 * <p>Not serializable on purpose: operators build one in {@code open()} so the (expensive,
 * thread-safe after configuration) ObjectMapper is created once per operator instance instead of
 * once per record.
 */
public final class EventParser {

    /** The record is not a usable user event; the message says which rule it broke. */
    public static final class InvalidEventException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidEventException(String message) {
            super(message);
        }
    }

    private final ObjectMapper mapper;

    public EventParser() {
        this.mapper = newObjectMapper();
    }

    /** The one mapper configuration the job uses, for reading events and writing outputs. */
    public static ObjectMapper newObjectMapper() {
        return JsonMapper.builder()
                // Amounts are money: keep the decimal digits the producer sent.
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                // A record with two JSON documents or trailing junk is malformed, not "the first one".
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    public UserEvent parse(String raw) throws InvalidEventException {
        if (raw == null || raw.isBlank()) {
            throw new InvalidEventException("empty record");
        }
        JsonNode root;
        try {
            root = mapper.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidEventException("not a JSON object");
        }
        UserEvent event = new UserEvent();
        event.userId = requiredText(root, "userId");
        event.eventType = requiredText(root, "eventType");
        event.page = optionalText(root, "page");
        event.timestamp = requiredEpochMillis(root, "timestamp");
        JsonNode amount = root.get("amount");
        if (amount != null && !amount.isNull()) {
            if (!amount.isNumber()) {
                throw new InvalidEventException("amount must be a number");
            }
            event.amount = amount.decimalValue();
        }
        return event;
    }

    public String toJson(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            // Our own POJOs always serialize; failing here is a programming error.
            throw new IllegalStateException("cannot serialize " + value.getClass().getName(), e);
        }
    }

    private static String requiredText(JsonNode root, String field) throws InvalidEventException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw new InvalidEventException(field + " is missing");
        }
        if (!node.isTextual() || node.textValue().isBlank()) {
            throw new InvalidEventException(field + " must be a non-empty string");
        }
        return node.textValue();
    }

    private static String optionalText(JsonNode root, String field) throws InvalidEventException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new InvalidEventException(field + " must be a string");
        }
        return node.textValue();
    }

    private static long requiredEpochMillis(JsonNode root, String field) throws InvalidEventException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw new InvalidEventException(field + " is missing");
        }
        // The seed fell back to wall-clock time here, which silently moved bad events into
        // whatever window was open; an event without a usable time is malformed instead.
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw new InvalidEventException(field + " must be an integer (epoch milliseconds)");
        }
        long millis = node.longValue();
        if (millis < 0) {
            throw new InvalidEventException(field + " must not be negative");
        }
        return millis;
    }
}
