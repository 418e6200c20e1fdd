package dev.grafanaproxy.token;

/**
 * Verifies a compact JWS token: signature with a trusted key and an allowed algorithm, then the
 * claims. Implementations are thread-safe. Closing releases whatever the key source holds (the JWKS
 * refresh thread); the web app closes its verifier when it is undeployed.
 */
public interface TokenVerifier extends AutoCloseable {

    /**
     * @param token a compact JWS as taken from the request
     * @return the verified token
     * @throws TokenRejectedException with the reason; its message never contains the token
     */
    VerifiedToken verify(String token) throws TokenRejectedException;

    /** The state of the verification keys (health checks, metrics). */
    default KeySourceStatus keySourceStatus() {
        return new KeySourceStatus("unknown", true, null, "static", -1, 0, 0);
    }

    /** Releases threads and connections; verifying afterwards is not supported. Idempotent. */
    @Override
    default void close() {
    }
}
