package dev.grafanaproxy.sample.app;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.time.Clock;

/**
 * Starts the app: reads its {@link AppSettings} and creates the {@link SessionTokens} (with a fresh
 * signing key), stored as context attributes for the servlets.
 */
public final class SampleApp implements ServletContextListener {

    private static final String SETTINGS = AppSettings.class.getName();
    private static final String TOKENS = SessionTokens.class.getName();

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        AppSettings settings = AppSettings.from(context);
        context.setAttribute(SETTINGS, settings);
        context.setAttribute(TOKENS, new SessionTokens(settings, Clock.systemUTC()));
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        event.getServletContext().removeAttribute(TOKENS);
        event.getServletContext().removeAttribute(SETTINGS);
    }

    static AppSettings settings(ServletContext context) {
        return (AppSettings) context.getAttribute(SETTINGS);
    }

    static SessionTokens tokens(ServletContext context) {
        return (SessionTokens) context.getAttribute(TOKENS);
    }
}
