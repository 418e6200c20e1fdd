package dev.grafanaproxy.token;

import java.util.Objects;

/**
 * A token as found in a request, not yet verified, and where it came from.
 *
 * @param token  the compact serialisation; never logged ({@link #toString()} leaves it out)
 * @param source where it was found
 */
public record ExtractedToken(String token, TokenSource source) {

    public ExtractedToken {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public String toString() {
        return "ExtractedToken[source=" + source + ", " + token.length() + " chars]";
    }
}
