package dev.grafanaproxy.proxy;

import dev.grafanaproxy.identity.Identity;

import java.util.Map;
import java.util.Objects;

/**
 * What a route needs to know about the session, handed from the auth filter to the proxy as the
 * request attribute {@link #ATTRIBUTE}: the mapped identity (for {@code {login}}, {@code {email}},
 * {@code {org}}) and the verified claims (for {@code require}). Absent on public paths.
 */
public record RouteSession(Identity identity, Map<String, Object> claims) {
    /** Request attribute holding the {@link RouteSession}. */
    public static final String ATTRIBUTE = "dev.grafanaproxy.proxy.RouteSession";

    public RouteSession {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(claims, "claims");
    }

    @Override
    public String toString() {
        return "RouteSession[" + identity + "]";
    }
}
