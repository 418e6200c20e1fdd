package dev.grafanaproxy.token;

import java.time.Instant;

/**
 * The state of the verification keys, for health checks and metrics.
 *
 * @param source      the configuration key of the source, e.g. {@code jwt.jwk_set_url}
 * @param usable      whether tokens can be verified now
 * @param lastSuccess when keys were last fetched (remote sources), or {@code null}
 * @param outcome     a short description: {@code ok}, {@code static}, or what is failing
 * @param keys        how many keys are in use, or -1 if unknown
 * @param fetches     successful fetches so far (remote sources)
 * @param failures    failed fetches so far (remote sources)
 */
public record KeySourceStatus(String source, boolean usable, Instant lastSuccess, String outcome, int keys,
                              long fetches, long failures) {
}
