package dev.grafanaproxy.testsupport;

import java.time.Instant;
import java.util.List;

/**
 * What {@link GrafanaStandIn} received for one request, as it came off the wire.
 *
 * @param method        the request method
 * @param rawPath       the request path exactly as sent (percent-encoding untouched), including any
 *                      {@code /grafana} prefix
 * @param rawQuery      the query string exactly as sent, without {@code ?}; {@code null} if none
 * @param headers       every header in arrival order, original name case, values as ISO-8859-1
 * @param bodyLength    number of body bytes received
 * @param bodySha256    lower-case hex SHA-256 of the body (that of the empty input for no body)
 * @param bodyComplete  {@code false} if the body broke off (client or proxy aborted the upload)
 * @param remoteAddress the peer as {@code ip:port}; the port identifies the TCP connection
 * @param connectionId  sequence number of the TCP connection it came on (1 = first accepted)
 * @param receivedAt    when its headers arrived
 */
public record ReceivedRequest(String method, String rawPath, String rawQuery, List<Header> headers,
        long bodyLength, String bodySha256, boolean bodyComplete, String remoteAddress,
        long connectionId, Instant receivedAt) {

    /** Defensive copy of the header list. */
    public ReceivedRequest {
        headers = List.copyOf(headers);
    }

    /** The path with one leading {@code /grafana} segment removed, as the stand-in's routes see it. */
    public String routePath() {
        return GrafanaStandIn.routePath(rawPath);
    }

    /** Whether the proxy kept the {@code /grafana} prefix (i.e. {@code grafana.strip_prefix=false}). */
    public boolean hadGrafanaPrefix() {
        return !routePath().equals(rawPath);
    }

    /** {@code rawPath} plus {@code ?rawQuery} when there is a query: the request target as sent. */
    public String rawTarget() {
        return rawQuery == null ? rawPath : rawPath + "?" + rawQuery;
    }

    /** First value of header {@code name} (any letter case), or {@code null}. */
    public String header(String name) {
        return Header.first(headers, name);
    }

    /** Every value of header {@code name} (any letter case), in arrival order. */
    public List<String> headers(String name) {
        return Header.all(headers, name);
    }

    /** Whether a header {@code name} (any letter case) was received. */
    public boolean hasHeader(String name) {
        return header(name) != null;
    }

    /** The header names in arrival order, as received (duplicates kept). */
    public List<String> headerNames() {
        return headers.stream().map(Header::name).toList();
    }
}
