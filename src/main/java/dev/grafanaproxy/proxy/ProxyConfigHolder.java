package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ConfigHolder;
import dev.grafanaproxy.config.ConfigLoader;
import jakarta.servlet.ServletContext;

import java.util.function.UnaryOperator;

/**
 * The web app's one {@link ConfigHolder}, kept as a servlet context attribute. The WAR's listener
 * creates it at start-up (and watches the config files); when the filter and servlet are used as a
 * plain JAR without the listener, the first of them to initialise loads the configuration from its
 * own init-params, the context-params, the {@code config_file} and the environment, and the other
 * reuses it (without the listener there is no reloading).
 */
public final class ProxyConfigHolder {
    /** Context attribute holding the {@link ConfigHolder}. */
    public static final String ATTRIBUTE = ConfigHolder.class.getName();

    private ProxyConfigHolder() {
    }

    public static ConfigHolder obtain(ServletContext context, UnaryOperator<String> initParams) {
        synchronized (context) {
            Object existing = context.getAttribute(ATTRIBUTE);
            if (existing instanceof ConfigHolder holder) {
                return holder;
            }
            ConfigHolder holder = new ConfigHolder(new ConfigLoader(initParams, context::getInitParameter,
                    () -> java.util.Collections.list(context.getInitParameterNames()), System.getenv()).load());
            context.setAttribute(ATTRIBUTE, holder);
            return holder;
        }
    }
}
