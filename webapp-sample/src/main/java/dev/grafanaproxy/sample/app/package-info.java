/**
 * The sample "main app": a login with demo users, an RS256 session JWT in an HttpOnly
 * {@code SameSite=Lax} cookie, its JWKS at {@code /.well-known/jwks.json}, a logout, and a dashboard
 * page that embeds Grafana (served by {@code grafana.war} at {@code /grafana} on the same origin) in
 * an iframe. Plain Jakarta Servlet 6, declared in {@code WEB-INF/web.xml}; pages are small HTML
 * templates ({@link dev.grafanaproxy.sample.app.Templates}). It keeps no server-side session: the JWT
 * is the session, exactly what grafana-proxy verifies.
 */
package dev.grafanaproxy.sample.app;
