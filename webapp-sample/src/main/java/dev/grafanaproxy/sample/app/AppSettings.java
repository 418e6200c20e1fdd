package dev.grafanaproxy.sample.app;

import jakarta.servlet.ServletContext;
import java.time.Duration;

/**
 * The app's own settings, from its context parameters (see {@code WEB-INF/web.xml}).
 *
 * @param issuer       {@code iss} of the session JWTs; grafana-proxy's {@code jwt.issuer}
 * @param audience     {@code aud} of the session JWTs; grafana-proxy's {@code jwt.audience}
 * @param cookieName   the session cookie; grafana-proxy's {@code jwt.cookie_name}
 * @param sessionTtl   lifetime of a session (token {@code exp} and cookie {@code Max-Age})
 * @param dashboardUrl what the dashboard page's iframe shows, a path under {@code /grafana/}
 */
public record AppSettings(String issuer, String audience, String cookieName, Duration sessionTtl, String dashboardUrl) {

    static AppSettings from(ServletContext context) {
        return new AppSettings(
                required(context, "app.issuer"),
                required(context, "app.audience"),
                required(context, "app.cookie_name"),
                Duration.ofMinutes(Long.parseLong(required(context, "app.session_minutes"))),
                required(context, "app.dashboard_url"));
    }

    private static String required(ServletContext context, String name) {
        String value = context.getInitParameter(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("context parameter " + name + " is required");
        }
        return value.trim();
    }
}
