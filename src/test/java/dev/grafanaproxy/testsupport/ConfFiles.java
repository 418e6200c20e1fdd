package dev.grafanaproxy.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ready-to-copy files in the repository's {@code conf/}, read the way a user uses them: copied
 * as they are, with the example values (the placeholders) replaced by the user's own.
 *
 * <p>Each placeholder must be present in the file: if {@code conf/} changes so that one is gone,
 * the test that relied on it fails instead of quietly testing something else.
 */
public final class ConfFiles {
    /** The Tomcat context file: {@code conf/Catalina/localhost/grafana.xml}. */
    public static final String TOMCAT_CONTEXT = "Catalina/localhost/grafana.xml";
    /** The Jetty ee10 context XML: {@code conf/jetty/grafana.xml}. */
    public static final String JETTY_CONTEXT = "jetty/grafana.xml";
    /** The properties file for RS256 tokens verified with a JWKS URL. */
    public static final String PROPERTIES = "grafana-proxy.properties";
    /** The properties file for HS256 tokens with the secret from {@code ${env:APP_JWT_SECRET}}. */
    public static final String PROPERTIES_HS256 = "grafana-proxy-hs256.properties";
    /** The nginx site for several instances behind one load balancer. */
    public static final String NGINX = "nginx/grafana-proxy.conf";
    /** The Grafana side. */
    public static final String GRAFANA_INI = "grafana.ini";
    /** The Grafana side with {@code grafana.auth_mode=jwt}, {@code grafana.jwt_source=mint}: its {@code [auth.jwt]}. */
    public static final String GRAFANA_JWT_MINT_INI = "grafana-jwt-mint.ini";
    /** The Grafana side with {@code grafana.auth_mode=jwt}, {@code grafana.jwt_source=forward}: its {@code [auth.jwt]}. */
    public static final String GRAFANA_JWT_FORWARD_INI = "grafana-jwt-forward.ini";

    /** Example value in {@code conf/}: where the proxy reaches Grafana. */
    public static final String GRAFANA_URL = "http://127.0.0.1:3000";
    /** Example value in {@code conf/}: the host app's JWKS endpoint. */
    public static final String JWKS_URL = "https://app.example.com/.well-known/jwks.json";
    /** Example value in {@code conf/} (kept as is by the tests: their tokens carry it). */
    public static final String ISSUER = "https://app.example.com";
    /** Example value in {@code conf/} (kept as is by the tests: their tokens carry it). */
    public static final String AUDIENCE = "grafana";

    private ConfFiles() {
    }

    /** The file's path, e.g. {@code path(TOMCAT_CONTEXT)}. */
    public static Path path(String relative) {
        return Distribution.confDir().resolve(relative);
    }

    /** The file's text as it is in the repository. */
    public static String read(String relative) {
        try {
            return Files.readString(path(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The file with every placeholder (map key) replaced by its value, as a user edits it.
     *
     * @throws IllegalStateException if a placeholder does not occur in the file
     */
    public static String fill(String relative, Map<String, String> placeholders) {
        String text = read(relative);
        for (Map.Entry<String, String> e : placeholders.entrySet()) {
            if (!text.contains(e.getKey())) {
                throw new IllegalStateException("conf/" + relative + " no longer contains the placeholder " + e.getKey());
            }
            text = text.replace(e.getKey(), e.getValue());
        }
        return text;
    }

    /** A map of placeholders, in the order given: {@code placeholders(GRAFANA_URL, url, JWKS_URL, jwks)}. */
    public static Map<String, String> placeholders(String... pairs) {
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("placeholder/value pairs expected");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    /**
     * One section of an ini file ({@code grafana.ini}) as key/value pairs, values without trailing
     * {@code ;} comments.
     */
    public static Map<String, String> iniSection(String relative, String section) {
        Map<String, String> values = new LinkedHashMap<>();
        boolean in = false;
        for (String raw : read(relative).split("\n")) {
            String line = raw.strip();
            if (line.startsWith("[")) {
                in = line.equals("[" + section + "]");
                continue;
            }
            if (!in || line.isEmpty() || line.startsWith(";") || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq > 0) {
                String value = line.substring(eq + 1);
                int comment = value.indexOf(" ;");
                values.put(line.substring(0, eq).strip(), (comment >= 0 ? value.substring(0, comment) : value).strip());
            }
        }
        return values;
    }
}
