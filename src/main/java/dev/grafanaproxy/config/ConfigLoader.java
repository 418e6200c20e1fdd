package dev.grafanaproxy.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Merges the configuration sources in the contract's precedence, lowest first: init-params,
 * context-params (in Tomcat also {@code <Parameter>} elements of the context file), the properties
 * file named by {@code config_file}, and {@code GRAFANA_PROXY_*} environment variables. Values may
 * hold {@code ${env:NAME}}. Only known keys are read from web.xml parameters, because a host app's
 * own context-params share that namespace; the properties file is ours alone, so an unknown key there
 * is an error (a typo must not silently fall back to a default).
 */
public final class ConfigLoader {
    private static final Pattern ENV_REF = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    private final UnaryOperator<String> initParams;
    private final UnaryOperator<String> contextParams;
    private final Map<String, String> environment;
    private final Supplier<? extends Collection<String>> contextParamNames;

    /**
     * @param initParams    filter/servlet init-param lookup, or {@code null}
     * @param contextParams context-param lookup, or {@code null}
     * @param environment   the process environment (tests pass their own map)
     */
    public ConfigLoader(UnaryOperator<String> initParams, UnaryOperator<String> contextParams,
                        Map<String, String> environment) {
        this(initParams, contextParams, List::of, environment);
    }

    /**
     * As above, with the names of the context-params, so that route keys ({@code route.<name>.*}),
     * which no fixed list can name, are read from there too.
     */
    public ConfigLoader(UnaryOperator<String> initParams, UnaryOperator<String> contextParams,
                        Supplier<? extends Collection<String>> contextParamNames, Map<String, String> environment) {
        this.initParams = initParams == null ? k -> null : initParams;
        this.contextParams = contextParams == null ? k -> null : contextParams;
        this.contextParamNames = contextParamNames == null ? List::of : contextParamNames;
        this.environment = Map.copyOf(environment);
    }

    /** @throws ConfigException naming the key at fault */
    public ProxyConfig load() {
        ProxyConfig.Builder builder = ProxyConfig.custom();
        for (ConfigKey k : ConfigKey.values()) {
            put(builder, k, initParams.apply(k.key()), "init-param");
        }
        for (ConfigKey k : ConfigKey.values()) {
            put(builder, k, contextParams.apply(k.key()), "context-param");
        }
        for (String name : contextParamNames.get()) {
            if (Routes.isRouteKey(name)) {
                putRoute(builder, name, contextParams.apply(name), "context-param");
            }
        }
        String configFile = firstNonNull(
                environment.get(ConfigKey.CONFIG_FILE.environmentVariable()),
                contextParams.apply(ConfigKey.CONFIG_FILE.key()),
                initParams.apply(ConfigKey.CONFIG_FILE.key()));
        if (configFile != null && !configFile.isBlank()) {
            String file = expand(ConfigKey.CONFIG_FILE, configFile.trim());
            builder.set(ConfigKey.CONFIG_FILE, file, null);
            readProperties(builder, Path.of(file));
        }
        for (ConfigKey k : ConfigKey.values()) {
            put(builder, k, environment.get(k.environmentVariable()), "environment variable " + k.environmentVariable());
        }
        return builder.build();
    }

    private void readProperties(ProxyConfig.Builder builder, Path file) {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(ConfigKey.CONFIG_FILE.key(), "cannot read \"" + file + "\": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
        String origin = "config_file " + file.getFileName();
        for (String name : props.stringPropertyNames()) {
            if (Routes.isRouteKey(name)) {
                putRoute(builder, name, props.getProperty(name), origin);
                continue;
            }
            ConfigKey k = ConfigKey.byName(name)
                    .orElseThrow(() -> new ConfigException(name, "unknown key in config_file \"" + file + "\""));
            if (k == ConfigKey.CONFIG_FILE) {
                throw new ConfigException(name, "cannot be set inside the config_file itself");
            }
            put(builder, k, props.getProperty(name), origin);
        }
    }

    private void put(ProxyConfig.Builder builder, ConfigKey k, String value, String origin) {
        if (value != null && k != ConfigKey.CONFIG_FILE) {
            builder.set(k, expand(k, value), origin);
        }
    }

    private void putRoute(ProxyConfig.Builder builder, String key, String value, String origin) {
        if (value != null) {
            builder.set(key, expand(key, value), origin);
        }
    }

    String expand(ConfigKey k, String value) {
        return expand(k.key(), value);
    }

    /** Replaces every {@code ${env:NAME}}; a missing variable is an error, never an empty secret. */
    String expand(String key, String value) {
        Matcher m = ENV_REF.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = environment.get(m.group(1));
            if (v == null) {
                throw new ConfigException(key, "refers to ${env:" + m.group(1) + "}, but that environment variable is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String firstNonNull(String... values) {
        for (String v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
