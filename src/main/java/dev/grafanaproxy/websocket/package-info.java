/**
 * The authenticated WebSocket relay for Grafana Live. The proxy servlet, after the auth filter has
 * decided who the client is, hands every WebSocket upgrade on {@code websocket.paths} to
 * {@link dev.grafanaproxy.websocket.WebSocketRelays}: it opens the upstream WebSocket to Grafana first
 * (the JDK's {@code java.net.http.WebSocket}, with the same headers the HTTP proxy would send), and
 * only when Grafana has accepted does it switch the client's connection with the container's
 * standard Jakarta WebSocket {@code ServerContainer#upgradeHttpToWebSocket}, selecting the
 * sub-protocol Grafana chose; a refusal reaches the client as Grafana's status. Each
 * {@link dev.grafanaproxy.websocket.Relay} then passes messages, pings, pongs and close codes both
 * ways with bounded buffering and no thread of its own. This package uses {@code config},
 * {@code identity} (through the servlet's stages) and the {@code proxy} header rules; nothing in
 * {@code proxy} depends on it (it is found with {@link java.util.ServiceLoader}).
 */
package dev.grafanaproxy.websocket;
