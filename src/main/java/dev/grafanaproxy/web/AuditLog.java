package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.Identity;
import dev.grafanaproxy.token.TokenExtractor;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * "Who looked at what": one line per request at INFO on the logger {@value #LOGGER}, in logfmt
 * ({@code key=value}, values with spaces quoted) so log pipelines can parse it:
 * <pre>time=2026-11-23T06:40:00.123Z outcome=ok user=alice role=Admin org=2 method=GET path=/grafana/d/abc client=10.0.0.7 status=200 duration_ms=12</pre>
 * A client that went away before its response was complete gives {@code outcome=client_gone
 * status=499}. Refusals use the same logger with {@code outcome=rejected} (or {@code forbidden})
 * and the reason.
 * Never a token or cookie; the query string only with {@code audit.query=true}, and even then
 * without {@code auth_token}. The line is formatted on the request's thread (so {@code time} is
 * when the request completed) and written by the {@link AuditWriter} shared by all snapshots.
 */
final class AuditLog {
    static final String LOGGER = "grafana.proxy.audit";
    private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);
    private static final Logger FALLBACK = LoggerFactory.getLogger(AuthFilter.class);

    private final boolean enabled;
    private final double sample;
    private final boolean query;
    private final AuditWriter writer;

    AuditLog(ProxyConfig config, AuditWriter writer) {
        this.writer = writer;
        this.enabled = config.auditEnabled();
        this.sample = config.auditSample();
        this.query = config.auditQuery();
    }

    /** Whether a forwarded request is to be written: sampling is decided when the request starts. */
    boolean sampled() {
        return enabled && AUDIT.isInfoEnabled() && (sample >= 1.0 || ThreadLocalRandom.current().nextDouble() < sample);
    }

    /**
     * A forwarded request, once its response is complete. {@code requestFields} comes from
     * {@link #describe} at the start: the request object may be recycled by the time this runs.
     */
    void forwarded(String requestFields, String outcome, Identity identity, int status, long startNanos) {
        StringBuilder line = start(outcome);
        if (identity != null) {
            field(line, "user", identity.login() != null ? identity.login() : identity.email());
            field(line, "role", identity.role() == null ? null : identity.role().grafanaName());
            field(line, "org", identity.orgId());
        } else {
            field(line, "user", "-");
        }
        line.append(requestFields);
        field(line, "status", Integer.toString(status));
        field(line, "duration_ms", Long.toString((System.nanoTime() - startNanos) / 1_000_000));
        writer.write(line.toString());
    }

    /**
     * A refused request: always written, whatever the sampling. With the audit log turned off the
     * reason still goes to the filter's own log, as the contract asks.
     */
    void refused(HttpServletRequest request, String outcome, String reason, String subject, int status) {
        if (enabled && !AUDIT.isInfoEnabled()) {
            return;
        }
        StringBuilder line = start(outcome);
        field(line, "reason", reason);
        field(line, "sub", subject);
        line.append(describe(request));
        field(line, "status", Integer.toString(status));
        if (enabled) {
            writer.write(line.toString());
        } else {
            FALLBACK.info(line.toString()); // rare: written at once
        }
    }

    /** method, path (query only with {@code audit.query}, never {@code auth_token}) and client address. */
    String describe(HttpServletRequest request) {
        StringBuilder fields = new StringBuilder(96);
        field(fields, "method", request.getMethod());
        String path = request.getRequestURI();
        if (query) {
            String q = TokenExtractor.queryWithoutToken(request.getQueryString());
            if (q != null) {
                path = path + "?" + q;
            }
        }
        field(fields, "path", path);
        field(fields, "client", request.getRemoteAddr());
        return fields.toString();
    }

    private static StringBuilder start(String outcome) {
        StringBuilder line = new StringBuilder(160).append("time=").append(Instant.now());
        field(line, "outcome", outcome);
        return line;
    }

    private static void field(StringBuilder line, String key, String value) {
        if (value == null) {
            return;
        }
        line.append(' ').append(key).append('=');
        boolean quote = value.isEmpty();
        for (int i = 0; i < value.length() && !quote; i++) {
            char c = value.charAt(i);
            quote = c <= ' ' || c == '"' || c == '=' || c == '\\';
        }
        if (!quote) {
            line.append(value);
            return;
        }
        line.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                line.append('\\').append(c);
            } else if (c < ' ') {
                line.append(String.format("\\u%04x", (int) c));
            } else {
                line.append(c);
            }
        }
        line.append('"');
    }
}
