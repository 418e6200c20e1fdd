package dev.grafanaproxy.testsupport;

/**
 * The servlet containers the proxy is tested in; use with
 * {@code @ParameterizedTest @EnumSource(Containers.class)} and {@link #builder()}.
 */
public enum Containers {
    /** Jetty 12, ee10 {@code WebAppContext} deploying the WAR. */
    JETTY,
    /** Tomcat 11, the WAR deployed as a context with {@code ContextConfig} (its {@code web.xml} honoured). */
    TOMCAT;

    /** A builder for a container of this kind with the defaults of {@link ServletContainer.Builder}. */
    public ServletContainer.Builder builder() {
        return new ServletContainer.Builder(this);
    }

    ServletContainer create(ServletContainer.Settings settings) {
        return switch (this) {
            case JETTY -> new EmbeddedJetty(settings);
            case TOMCAT -> new EmbeddedTomcat(settings);
        };
    }
}
