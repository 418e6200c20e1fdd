package dev.grafanaproxy.token;

import com.nimbusds.jose.Header;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObject;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.grafanaproxy.token.TokenRejectedException.Reason;
import java.text.ParseException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;

/**
 * The verifier proper: screens the token's shape and header, then hands it to Nimbus'
 * {@link DefaultJWTProcessor} (key selection, signature, {@link ClaimsPolicy}) and maps each failure
 * to a {@link Reason}. The screening happens before any cryptography, in this order: length, shape
 * (three base64url parts; five is a JWE), {@code alg} against the allow-list ({@code none} in any
 * spelling fails here), header-supplied keys, {@code crit}, empty signature.
 */
final class JwtVerifier implements TokenVerifier {

    /** Longer tokens are refused unparsed: a cookie holds at most 4 KB, and real JWTs are far smaller. */
    static final int MAX_TOKEN_LENGTH = 16 * 1024;

    private final KeySource keySource;
    private final Set<JWSAlgorithm> allowed;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    JwtVerifier(KeySource keySource, Set<JWSAlgorithm> allowed, ClaimsPolicy claims) {
        this.keySource = keySource;
        this.allowed = Set.copyOf(allowed);
        processor.setJWSKeySelector(keySource.keySelector(this.allowed));
        processor.setJWTClaimsSetVerifier(claims);
        // Grafana's [auth.jwt] ignores typ, and issuers write JWT, at+jwt or nothing: accept any
        processor.setJWSTypeVerifier((type, context) -> { });
    }

    @Override
    public VerifiedToken verify(String token) throws TokenRejectedException {
        SignedJWT jwt = screen(token);
        JWTClaimsSet claims;
        try {
            claims = processor.process(jwt, null);
        } catch (ClaimsPolicy.Rejected e) {
            throw new TokenRejectedException(e.reason, verifiedSubject(jwt), null);
        } catch (BadJWTException e) {
            throw new TokenRejectedException(Reason.MALFORMED); // the payload is not a JSON claims set
        } catch (BadJWSException e) {
            throw new TokenRejectedException(Reason.BAD_SIGNATURE);
        } catch (BadJOSEException e) {
            throw new TokenRejectedException(Reason.UNKNOWN_KEY); // no key matched (kid, type, curve, size)
        } catch (RateLimitReachedException e) {
            // an unknown kid whose refetch was refused and no earlier keys to fall back on
            throw new TokenRejectedException(Reason.UNKNOWN_KEY);
        } catch (KeySourceException e) {
            throw new TokenRejectedException(Reason.KEY_SOURCE_UNAVAILABLE, null, e);
        } catch (JOSEException e) {
            // the verifier refused the key/algorithm pairing or the signature's encoding
            throw new TokenRejectedException(Reason.BAD_SIGNATURE);
        } catch (RejectedExecutionException e) {
            throw new TokenRejectedException(Reason.KEY_SOURCE_UNAVAILABLE, null, e); // verifier closed
        }
        Map<String, Object> json;
        try {
            json = jwt.getPayload().toJSONObject();
        } catch (RuntimeException e) {
            throw new TokenRejectedException(Reason.MALFORMED);
        }
        if (json == null) {
            throw new TokenRejectedException(Reason.MALFORMED);
        }
        return new VerifiedToken(token, json, claims.getExpirationTime().toInstant());
    }

    private SignedJWT screen(String token) throws TokenRejectedException {
        if (token == null || token.isEmpty()) {
            throw new TokenRejectedException(Reason.MALFORMED);
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new TokenRejectedException(Reason.TOO_LARGE);
        }
        int dots = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.') {
                dots++;
            } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
                // strict base64url: Nimbus' decoder would skip stray characters, making one token many strings
                throw new TokenRejectedException(Reason.MALFORMED);
            }
        }
        if (dots != 2) {
            throw new TokenRejectedException(Reason.MALFORMED); // 4 dots: a JWE, which is never accepted
        }
        Base64URL[] parts;
        Header header;
        try {
            parts = JOSEObject.split(token);
            header = Header.parse(parts[0]);
        } catch (ParseException | RuntimeException e) {
            throw new TokenRejectedException(Reason.MALFORMED);
        }
        if (header instanceof JWEHeader) {
            throw new TokenRejectedException(Reason.MALFORMED);
        }
        if (!(header instanceof JWSHeader) || !allowed.contains(((JWSHeader) header).getAlgorithm())) {
            throw new TokenRejectedException(Reason.ALGORITHM_NOT_ALLOWED); // PlainHeader: alg "none"
        }
        JWSHeader jws = (JWSHeader) header;
        if (jws.getJWKURL() != null || jws.getJWK() != null || jws.getX509CertURL() != null || jws.getX509CertChain() != null) {
            // Nimbus' selectors never use these, but a token that offers its own key is an attack or a
            // misconfigured issuer; either way say so rather than "unknown key"
            throw new TokenRejectedException(Reason.UNTRUSTED_HEADER_KEY);
        }
        if (jws.getCriticalParams() != null && !jws.getCriticalParams().isEmpty()) {
            throw new TokenRejectedException(Reason.MALFORMED); // no extension is understood here
        }
        if (parts[2].toString().isEmpty()) {
            throw new TokenRejectedException(Reason.BAD_SIGNATURE);
        }
        try {
            return new SignedJWT(parts[0], parts[1], parts[2]);
        } catch (ParseException | RuntimeException e) {
            throw new TokenRejectedException(Reason.MALFORMED);
        }
    }

    /** The subject, read only after Nimbus verified the signature (claim checks run after it). */
    private static String verifiedSubject(SignedJWT jwt) {
        try {
            return jwt.getJWTClaimsSet().getSubject();
        } catch (ParseException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public KeySourceStatus keySourceStatus() {
        return keySource.status();
    }

    @Override
    public void close() {
        keySource.close();
    }

    @Override
    public String toString() {
        return "JwtVerifier[" + keySource + ", algorithms=" + Algorithms.names(allowed) + "]";
    }
}
