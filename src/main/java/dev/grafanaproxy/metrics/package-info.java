/**
 * Metrics: what the proxy counts and times, behind the small {@link dev.grafanaproxy.metrics.ProxyMetrics}
 * interface so the proxy, filter and relay never touch a metrics library directly.
 * {@link dev.grafanaproxy.metrics.MicrometerMetrics} records them with Micrometer, in the host app's
 * registry when it publishes one as a servlet context attribute, otherwise in the proxy's own
 * Prometheus registry, which {@link dev.grafanaproxy.metrics.PrometheusEndpoint} serves at
 * {@code metrics.path} to the addresses in {@code metrics.allow} only.
 */
package dev.grafanaproxy.metrics;
