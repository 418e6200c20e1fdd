package dev.grafanaproxy.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations the way Grafana writes them: {@code 500ms}, {@code 5s}, {@code 60m}, {@code 1h30m}, {@code 0}. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private Durations() {
    }

    /**
     * @throws IllegalArgumentException when the text is not a non-negative duration with units, or
     *                                  is too long to count in milliseconds
     */
    public static Duration parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty");
        }
        Matcher m = PART.matcher(s);
        Duration total = Duration.ZERO;
        int pos = 0;
        try {
            while (pos < s.length()) {
                if (!m.find(pos) || m.start() != pos) {
                    throw new IllegalArgumentException("not a duration");
                }
                long n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
                pos = m.end();
            }
            total.toMillis(); // users of the value work in milliseconds: it must fit there
        } catch (ArithmeticException e) {
            // else an absurd value escapes as a bare "long overflow" that names no key
            throw new IllegalArgumentException("too long");
        }
        return total;
    }

    /** Formats a duration in the same syntax, e.g. for start-up logs. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
