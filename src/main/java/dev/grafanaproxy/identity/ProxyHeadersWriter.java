package dev.grafanaproxy.identity;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.token.VerifiedToken;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Identity headers for Grafana's {@code [auth.proxy]}:
 *
 * <ul>
 *   <li>{@code grafana.header_name} carries the login, or the email with {@code grafana.header_property=email};</li>
 *   <li>each {@code grafana.headers} entry carries its attribute (Name, Email, Login, Role, Groups);
 *       a header whose value is absent is left out. Role {@code GrafanaAdmin} goes out as {@code Admin},
 *       the most Grafana's proxy Role header takes. Groups are comma-separated, or a JSON list when a
 *       name holds a comma, quote or space, which Grafana's {@code util.SplitString} also reads;</li>
 *   <li>{@code grafana.org_header} carries the org id when one is mapped.</li>
 * </ul>
 *
 * <p>Values are UTF-8 on the wire. With {@code grafana.headers_encoded=true} Grafana runs every
 * header through Go's {@code mime/quotedprintable} reader ({@code util.DecodeQuotedPrintable}), so a
 * value is quoted-printable encoded unless that reader would hand it back unchanged
 * ({@link #grafanaEncoded}).
 */
public final class ProxyHeadersWriter implements IdentityWriter {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** Go's {@code bufio} default size: the longest line its quoted-printable reader decodes, plus one. */
    static final int GO_DECODE_LIMIT = 4096;

    private final String headerName;
    private final boolean headerIsEmail;
    private final Map<String, String> proxyHeaders;
    private final String orgHeader;
    private final boolean encoded;

    public ProxyHeadersWriter(ProxyConfig config) {
        this.headerName = config.headerName();
        this.headerIsEmail = config.headerProperty() == ProxyConfig.HeaderProperty.EMAIL;
        this.proxyHeaders = config.proxyHeaders();
        this.orgHeader = config.orgHeader();
        this.encoded = config.headersEncoded();
    }

    @Override
    public IdentityHeaders write(Identity identity, VerifiedToken token) {
        return write(identity);
    }

    /** @throws IllegalArgumentException when the identity lacks what {@code grafana.header_property} names */
    public IdentityHeaders write(Identity identity) {
        String user = headerIsEmail ? identity.email() : identity.login();
        if (user == null) {
            throw new IllegalArgumentException("identity has no " + (headerIsEmail ? "email" : "login")
                    + " for grafana.header_name");
        }
        List<IdentityHeaders.Header> out = new ArrayList<>(proxyHeaders.size() + 2);
        // one value per header name: should grafana.headers reuse header_name, the user header wins
        Set<String> written = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        add(out, written, headerName, wire(user));
        proxyHeaders.forEach((attribute, header) -> {
            String value = attributeValue(identity, attribute);
            if (value != null) {
                add(out, written, header, wire(value));
            }
        });
        if (identity.orgId() != null) {
            add(out, written, orgHeader, identity.orgId()); // digits only: nothing to encode
        }
        return IdentityHeaders.of(out);
    }

    private static void add(List<IdentityHeaders.Header> out, Set<String> written, String name, String value) {
        if (written.add(name)) {
            out.add(new IdentityHeaders.Header(name, value));
        }
    }

    private static String attributeValue(Identity identity, String attribute) {
        switch (attribute) {
            case "Name":
                return identity.name();
            case "Email":
                return identity.email();
            case "Login":
                return identity.login();
            case "Role":
                return identity.role() == null ? null : identity.role().orgRole().grafanaName();
            case "Groups":
                return identity.groups().isEmpty() ? null : groupsValue(identity.groups());
            default:
                return null; // the config admits only the five attributes above
        }
    }

    private String wire(String value) {
        return encoded ? grafanaEncoded(value) : utf8Wire(value);
    }

    /** The value's UTF-8 bytes, one char per byte. */
    static String utf8Wire(String value) {
        return new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /**
     * The wire string that Grafana's {@code util.DecodeQuotedPrintable} turns back into {@code
     * value}. That function feeds the header value (already trimmed of spaces at both ends by Go's
     * header parser) to Go's {@code mime/quotedprintable} reader and keeps the raw value when the
     * reader fails. The reader decodes {@code =XX}, passes other printable ASCII and every byte
     * from 0x80 up unchanged, strips trailing spaces, and reads through a 4096-byte buffer: a value
     * of {@value #GO_DECODE_LIMIT} bytes or more has no line end within it, fails, and reaches Grafana raw.
     *
     * <p>So: printable ASCII without {@code =} or spaces at the ends is sent as it is. Anything else
     * is quoted-printable ({@link #quotedPrintable}); if that comes out too long to be decoded, only
     * {@code =} and end spaces are escaped and UTF-8 bytes sent raw (the reader passes them through);
     * if even that is too long, the raw UTF-8, which Grafana then keeps undecoded.
     */
    static String grafanaEncoded(String value) {
        String qp = quotedPrintable(value);
        if (qp.equals(value) || qp.length() < GO_DECODE_LIMIT) {
            return qp;
        }
        String light = escape(value.getBytes(StandardCharsets.UTF_8), false);
        return light.length() < GO_DECODE_LIMIT ? light : utf8Wire(value);
    }

    /**
     * Quoted-printable as Grafana documents it for {@code headers_encoded} ({@code M=C3=BCnchen}):
     * printable ASCII without {@code =} and without spaces at either end is returned unchanged;
     * otherwise each byte of the UTF-8 form outside printable ASCII, each {@code =} and a space at
     * either end becomes {@code =XX} (upper-case hex). No soft line breaks: a header value is one line.
     */
    static String quotedPrintable(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        boolean plain = n == 0 || (bytes[0] != ' ' && bytes[n - 1] != ' ');
        for (int i = 0; plain && i < n; i++) {
            plain = bytes[i] >= 0x20 && bytes[i] <= 0x7E && bytes[i] != '=';
        }
        return plain ? value : escape(bytes, true);
    }

    private static String escape(byte[] bytes, boolean nonAscii) {
        int n = bytes.length;
        StringBuilder sb = new StringBuilder(n * 3);
        for (int i = 0; i < n; i++) {
            int b = bytes[i] & 0xFF;
            boolean keep = b == ' ' ? i != 0 && i != n - 1
                    : b > 0x20 && b <= 0x7E ? b != '='
                    : b >= 0x80 && !nonAscii;
            if (keep) {
                sb.append((char) b);
            } else {
                sb.append('=').append(HEX[b >> 4]).append(HEX[b & 0xF]);
            }
        }
        return sb.toString();
    }

    /**
     * Grafana splits the Groups header with {@code util.SplitString}: at commas and white space,
     * with {@code "..."} quoting in newer versions and a JSON list when the value starts with
     * {@code [}. Plain names go comma-separated, which every version reads; a name that splitting
     * would break goes as a JSON list instead.
     */
    static String groupsValue(List<String> groups) {
        boolean plain = true;
        for (String g : groups) {
            plain &= g.charAt(0) != '[' && g.chars().noneMatch(c -> c == ',' || c == '"'
                    || Character.isWhitespace(c) || Character.isSpaceChar(c));
        }
        if (plain) {
            return String.join(",", groups);
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < groups.size(); i++) {
            sb.append(i == 0 ? "\"" : ",\"");
            for (char c : groups.get(i).toCharArray()) {
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            sb.append('"');
        }
        return sb.append(']').toString();
    }
}
