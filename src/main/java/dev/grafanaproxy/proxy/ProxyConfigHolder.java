package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ConfigLoader;
import dev.grafanaproxy.config.ProxyConfig;
import jakarta.servlet.ServletContext;

import java.util.function.UnaryOperator;

/**
 * The web app's one {@link ProxyConfig}, kept as a servlet context attribute. The WAR's listener
 * loads it at start-up; when the filter and servlet are used as a plain JAR without the listener,
 * the first of them to initialise loads it from its own init-params, the context-params, the
 * {@code config_file} and the environment, and the other reuses it.
 */
public final class ProxyConfigHolder {
    /** Context attribute holding the {@link ProxyConfig}. */
    public static final String ATTRIBUTE = ProxyConfig.class.getName();

    private ProxyConfigHolder() {
    }

    public static ProxyConfig obtain(ServletContext context, UnaryOperator<String> initParams) {
        synchronized (context) {
            Object existing = context.getAttribute(ATTRIBUTE);
            if (existing instanceof ProxyConfig config) {
                return config;
            }
            ProxyConfig config = new ConfigLoader(initParams, context::getInitParameter, System.getenv()).load();
            context.setAttribute(ATTRIBUTE, config);
            return config;
        }
    }
}
