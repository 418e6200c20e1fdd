package dev.grafanaproxy.proxy;

import dev.grafanaproxy.metrics.ProxyMetrics;
import jakarta.servlet.ServletContext;

/** Where the filter, servlet and relay find the web app's {@link ProxyMetrics}: a context attribute. */
public final class ProxyMetricsHolder {
    public static final String ATTRIBUTE = ProxyMetrics.class.getName();

    private ProxyMetricsHolder() {
    }

    /** The web app's metrics, or {@link ProxyMetrics#NONE} when none are configured. */
    public static ProxyMetrics of(ServletContext context) {
        Object m = context.getAttribute(ATTRIBUTE);
        return m instanceof ProxyMetrics metrics ? metrics : ProxyMetrics.NONE;
    }
}
