package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.metrics.MicrometerMetrics;
import dev.grafanaproxy.metrics.ProxyMetrics;
import dev.grafanaproxy.proxy.ProxyMetricsHolder;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.ServletContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses where metrics go, once per web app: the host app's Micrometer registry when it publishes
 * one as the context attribute {@value #HOST_REGISTRY_ATTRIBUTE}; else, when {@code metrics.path} is
 * set, a Prometheus registry of the proxy's own; else nowhere (no cost).
 */
final class MetricsSetup {
    /** The context attribute under which a host app may share its {@code MeterRegistry}. */
    static final String HOST_REGISTRY_ATTRIBUTE = "io.micrometer.core.instrument.MeterRegistry";
    private static final Logger LOG = LoggerFactory.getLogger(MetricsSetup.class);

    private MetricsSetup() {
    }

    /** Creates the metrics and publishes them for the filter and servlet; returns what to close on undeploy. */
    static AutoCloseable create(ServletContext context, ProxyConfig config) {
        Object host = context.getAttribute(HOST_REGISTRY_ATTRIBUTE);
        MicrometerMetrics metrics;
        if (host instanceof MeterRegistry registry) {
            metrics = MicrometerMetrics.in(registry);
            LOG.info("grafana-proxy metrics registered in the host app's {}", registry.getClass().getSimpleName());
        } else if (config.metricsPath() != null) {
            metrics = MicrometerMetrics.ownRegistry();
            LOG.info("grafana-proxy metrics served at {}{} to {}", context.getContextPath(), config.metricsPath(),
                    config.metricsAllow());
        } else {
            return null;
        }
        context.setAttribute(ProxyMetricsHolder.ATTRIBUTE, metrics);
        return metrics;
    }

    static void close(ServletContext context, AutoCloseable metrics) {
        context.removeAttribute(ProxyMetricsHolder.ATTRIBUTE);
        if (metrics != null) {
            try {
                metrics.close();
            } catch (Exception e) {
                LOG.debug("closing metrics", e);
            }
        }
    }

    /** The registry to scrape, if the metrics are in a Prometheus registry. */
    static MicrometerMetrics micrometer(ProxyMetrics metrics) {
        return metrics instanceof MicrometerMetrics m ? m : null;
    }
}
