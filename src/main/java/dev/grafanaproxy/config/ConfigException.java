package dev.grafanaproxy.config;

/**
 * A configuration value is missing or wrong. The message is one line that names the key, shows the
 * offending value (never a secret's) and says what is expected. It carries no stack trace: the
 * message is the whole story, and containers print it as the reason the web app did not start.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public ConfigException(String key, String problem) {
        super(key + ": " + problem, null, false, false);
        this.key = key;
    }

    /** The configuration key at fault, e.g. {@code grafana.url}. */
    public String key() {
        return key;
    }
}
