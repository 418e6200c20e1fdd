package dev.grafanaproxy.token;

/** Where in the request a token was found. */
public enum TokenSource {
    /** The {@code jwt.cookie_name} cookie: the usual browser session. */
    COOKIE,
    /** The {@code jwt.header_name} header ({@code Authorization: Bearer ...} by default). */
    HEADER,
    /**
     * The one-time {@code ?auth_token=} parameter ({@code jwt.url_login=true}): the filter exchanges
     * it for the cookie and redirects to the URL without it.
     */
    QUERY
}
