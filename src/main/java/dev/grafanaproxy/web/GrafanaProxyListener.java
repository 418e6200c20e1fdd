package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigHolder;
import dev.grafanaproxy.config.ConfigLoader;
import dev.grafanaproxy.config.ConfigWatcher;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.proxy.ProxyConfigHolder;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the configuration when the web app starts: context-params (Tomcat {@code <Parameter>}s
 * included), the {@code config_file} and {@code GRAFANA_PROXY_*} environment variables. A bad or
 * missing value is logged as one line naming the key, and the exception stops the web app; the
 * container keeps running and keeps serving its other apps. While the web app runs, changes to the
 * config file and key files are picked up without a restart ({@link ConfigWatcher}).
 */
public class GrafanaProxyListener implements ServletContextListener {
    private static final Logger LOG = LoggerFactory.getLogger(GrafanaProxyListener.class);

    private ConfigWatcher watcher;
    private AutoCloseable metrics;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        ConfigLoader loader = new ConfigLoader(null, context::getInitParameter, System.getenv());
        ProxyConfig config;
        try {
            config = loader.load();
        } catch (ConfigException e) {
            LOG.error("grafana-proxy configuration error, {} will not start: {}", contextName(context), e.getMessage());
            throw e;
        }
        ConfigHolder holder = new ConfigHolder(config);
        context.setAttribute(ProxyConfigHolder.ATTRIBUTE, holder);
        metrics = MetricsSetup.create(context, config);
        if (!config.reloadInterval().isZero() && ConfigWatcher.hasWatchedFiles(config)) {
            watcher = new ConfigWatcher(holder, loader::load, config.reloadInterval(), "grafana-proxy-config-watch");
        }
        LOG.info("grafana-proxy configured at {}: {}", contextName(context), config.summary());
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (watcher != null) {
            watcher.close();
        }
        MetricsSetup.close(event.getServletContext(), metrics);
        event.getServletContext().removeAttribute(ProxyConfigHolder.ATTRIBUTE);
    }

    private static String contextName(ServletContext context) {
        String path = context.getContextPath();
        return path.isEmpty() ? "/" : path;
    }
}
