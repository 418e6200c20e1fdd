package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ProxyConfig;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites what Grafana says about its own URLs into the public URLs under the mount: absolute
 * {@code Location} headers that point at {@code grafana.url}, and (with {@code grafana.strip_prefix})
 * root-relative locations and cookie paths that are not yet under the mount. A URL that is already
 * under the mount, as Grafana writes them when {@code root_url} carries the sub-path, is left alone.
 */
public final class ResponseRewriter {
    private static final Pattern COOKIE_PATH = Pattern.compile("(?i)(;\\s*path\\s*=\\s*)([^;]*)");

    private final String grafanaBase;
    private final boolean stripPrefix;

    public ResponseRewriter(ProxyConfig config) {
        this.grafanaBase = config.grafanaUrl().toString();
        this.stripPrefix = config.stripPrefix();
    }

    /**
     * @param location     the {@code Location} value from Grafana
     * @param publicOrigin e.g. {@code https://app.example.com}
     * @param mount        e.g. {@code /grafana}
     */
    public String location(String location, String publicOrigin, String mount) {
        if (location == null || location.isEmpty()) {
            return location;
        }
        String rest = stripBase(location);
        if (rest != null) {
            return publicOrigin + underMount(rest, mount);
        }
        if (location.startsWith("/") && !location.startsWith("//")) {
            return underMount(location, mount);
        }
        return location;
    }

    /** A {@code Set-Cookie} value with its {@code Path} moved under the mount when needed. */
    public String setCookie(String setCookie, String mount) {
        if (!stripPrefix || setCookie == null) {
            return setCookie;
        }
        Matcher m = COOKIE_PATH.matcher(setCookie);
        if (!m.find()) {
            return setCookie;
        }
        String path = m.group(2).trim();
        if (!path.startsWith("/")) {
            return setCookie;
        }
        String moved = underMount(path, mount);
        return setCookie.substring(0, m.start(2)) + moved + setCookie.substring(m.end(2));
    }

    /** The path-and-after of an absolute URL on Grafana's base, or {@code null} if it is elsewhere. */
    private String stripBase(String location) {
        if (location.length() < grafanaBase.length()
                || !location.substring(0, grafanaBase.length()).toLowerCase(Locale.ROOT).equals(grafanaBase.toLowerCase(Locale.ROOT))) {
            return null;
        }
        String rest = location.substring(grafanaBase.length());
        if (rest.isEmpty()) {
            return "/";
        }
        char c = rest.charAt(0);
        return c == '/' || c == '?' || c == '#' ? (c == '/' ? rest : "/" + rest) : null;
    }

    private String underMount(String path, String mount) {
        if (!stripPrefix || path.equals(mount) || path.startsWith(mount + "/") || path.startsWith(mount + "?")) {
            return path;
        }
        return mount + path;
    }
}
