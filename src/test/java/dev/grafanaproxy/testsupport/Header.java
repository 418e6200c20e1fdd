package dev.grafanaproxy.testsupport;

import java.util.List;
import java.util.Objects;

/**
 * One HTTP header field exactly as it appeared on the wire: original name case, value as an
 * ISO-8859-1 string (so every raw byte 0x00-0xFF maps to one char and nothing is lost).
 *
 * @param name  the field name as received
 * @param value the field value as received (leading/trailing whitespace trimmed)
 */
public record Header(String name, String value) {

    /** Creates a header; both parts must be non-null. */
    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }

    /** Whether this header's name equals {@code other}, ignoring letter case. */
    public boolean is(String other) {
        return name.equalsIgnoreCase(other);
    }

    /** The value's raw bytes (the ISO-8859-1 string turned back into bytes). */
    public byte[] valueBytes() {
        return value.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** The value decoded as UTF-8 (for headers sent as UTF-8 bytes, e.g. identity headers). */
    public String valueUtf8() {
        return new String(valueBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The first value of the header named {@code name} (any case) in {@code headers}, or {@code null}. */
    public static String first(List<Header> headers, String name) {
        for (Header h : headers) {
            if (h.is(name)) {
                return h.value();
            }
        }
        return null;
    }

    /** Every value of the header named {@code name} (any case) in {@code headers}, in order. */
    public static List<String> all(List<Header> headers, String name) {
        return headers.stream().filter(h -> h.is(name)).map(Header::value).toList();
    }

    @Override
    public String toString() {
        return name + ": " + value;
    }
}
