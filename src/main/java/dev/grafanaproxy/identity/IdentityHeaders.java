package dev.grafanaproxy.identity;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The identity headers one request carries to Grafana, ready for the wire. The auth filter stores
 * an instance as the request attribute {@link #REQUEST_ATTRIBUTE}; the proxy's "proxy to server
 * request" stage writes the headers after removing every client-sent header of an identity name.
 *
 * <p>Values are <em>wire strings</em>: every char is one byte (0x00-0xFF) of the value as sent, so
 * UTF-8 text appears here as its ISO-8859-1 view. HTTP stacks write such strings byte for byte,
 * which keeps non-ASCII names intact without re-encoding anything else in the request.
 */
public final class IdentityHeaders {

    /** Request attribute under which the filter hands the headers to the proxy. */
    public static final String REQUEST_ATTRIBUTE = "dev.grafanaproxy.identity.IdentityHeaders";

    /** No identity: what public paths carry. */
    public static final IdentityHeaders NONE = new IdentityHeaders(List.of());

    /** One header; {@code value} is a wire string as described on the class. */
    public record Header(String name, String value) {
        public Header {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c > 0xFF || c < 0x20 && c != '\t' || c == 0x7F) {
                    throw new IllegalArgumentException("header " + name + " holds a control or non-byte character");
                }
            }
        }
    }

    private final List<Header> headers;

    private IdentityHeaders(List<Header> headers) {
        this.headers = headers;
    }

    public static IdentityHeaders of(List<Header> headers) {
        return headers.isEmpty() ? NONE : new IdentityHeaders(Collections.unmodifiableList(new ArrayList<>(headers)));
    }

    public List<Header> headers() {
        return headers;
    }

    @Override
    public String toString() {
        // names only: values are personal data and belong in the audit log, not in debug output
        StringBuilder sb = new StringBuilder("IdentityHeaders[");
        for (int i = 0; i < headers.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(headers.get(i).name());
        }
        return sb.append(']').toString();
    }
}
