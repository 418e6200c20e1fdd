package dev.grafanaproxy.sample.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny HTML template engine: {@code {{name}}} in a classpath template is replaced by the value
 * of that name, HTML-escaped, unless the value is {@link Html} (markup built by the caller from
 * escaped parts). A placeholder without a value is an error, never silently empty.
 */
public final class Templates {

    /** Markup that is inserted as it is. Build it only from {@link #escape(String)}d values. */
    public record Html(String markup) {
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-zA-Z0-9_.]+)}}");
    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();

    private Templates() {
    }

    /** Renders the template at this classpath resource path with these values. */
    public static String render(Class<?> owner, String resource, Map<String, ?> values) {
        String template = CACHE.computeIfAbsent(owner.getName() + "/" + resource, k -> load(owner, resource));
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length() + 1024);
        while (m.find()) {
            String name = m.group(1);
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("template " + resource + ": no value for {{" + name + "}}");
            }
            Object value = values.get(name);
            String text = value instanceof Html html ? html.markup() : escape(String.valueOf(value));
            m.appendReplacement(out, Matcher.quoteReplacement(text));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Escapes text for an HTML element or a quoted attribute value. */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String load(Class<?> owner, String resource) {
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("template not found: " + resource + " next to " + owner.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
