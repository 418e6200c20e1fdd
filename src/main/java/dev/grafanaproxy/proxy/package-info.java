/**
 * Proxying: the asynchronous streaming servlet that carries each request under the mount to
 * Grafana and Grafana's answer back. One pipeline with named stages, as in Jetty's proxy servlets:
 * client to proxy request ({@link dev.grafanaproxy.proxy.ProxyServlet#service}), proxy to server
 * request ({@link dev.grafanaproxy.proxy.ProxyServlet#newUpstreamRequest}, where identity headers are
 * written), server to proxy response and proxy to client response
 * ({@link dev.grafanaproxy.proxy.ResponseRelay}). Both bodies stream with backpressure: Servlet
 * non-blocking I/O towards the browser, Apache HttpClient 5 async towards Grafana, and a small
 * bounded buffer between them, so no container thread ever waits on Grafana and memory stays
 * constant whatever the body size. {@link dev.grafanaproxy.proxy.HeaderRules} holds every header
 * decision (hop-by-hop, forwarded, identity stripping) in one place for the HTTP and WebSocket paths.
 * Routes ({@link dev.grafanaproxy.proxy.RouteTable}) take the same pipeline to another target with
 * server-side credentials, including OAuth2 client credentials
 * ({@link dev.grafanaproxy.proxy.ClientCredentials}).
 */
package dev.grafanaproxy.proxy;
