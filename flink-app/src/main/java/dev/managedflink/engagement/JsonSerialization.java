package dev.managedflink.engagement;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.SerializationSchema;

/** Writes records as UTF-8 JSON, with one mapper per sink instance created in {@code open()}. */
public class JsonSerialization<T> implements SerializationSchema<T> {
    private static final long serialVersionUID = 1L;

    private transient EventParser json;

    @Override
    public void open(InitializationContext context) {
        json = new EventParser();
    }

    @Override
    public byte[] serialize(T element) {
        if (json == null) {
            // A connector path that never calls open() gets a working schema, not an NPE.
            json = new EventParser();
        }
        return json.toJson(element).getBytes(StandardCharsets.UTF_8);
    }
}
