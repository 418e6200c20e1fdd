package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigLoader;
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
 * container keeps running and keeps serving its other apps.
 */
public class GrafanaProxyListener implements ServletContextListener {
    private static final Logger LOG = LoggerFactory.getLogger(GrafanaProxyListener.class);

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        ProxyConfig config;
        try {
            config = new ConfigLoader(null, context::getInitParameter, System.getenv()).load();
        } catch (ConfigException e) {
            LOG.error("grafana-proxy configuration error, {} will not start: {}", contextName(context), e.getMessage());
            throw e;
        }
        context.setAttribute(ProxyConfigHolder.ATTRIBUTE, config);
        LOG.info("grafana-proxy configured at {}: {}", contextName(context), config.summary());
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        event.getServletContext().removeAttribute(ProxyConfigHolder.ATTRIBUTE);
    }

    private static String contextName(ServletContext context) {
        String path = context.getContextPath();
        return path.isEmpty() ? "/" : path;
    }
}
