package dev.grafanaproxy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Reading what the writers produce, for the identity tests. */
final class JwtTestSupport {
    private JwtTestSupport() {
    }

    /** The one header a jwt-mode writer produced: its value. */
    static String token(IdentityHeaders headers) {
        assertThat(headers.headers()).hasSize(1);
        assertThat(headers.headers().get(0).name()).isEqualTo("X-JWT-Assertion");
        return headers.headers().get(0).value();
    }

    static List<String> kids(PublishedJwks jwks) throws Exception {
        return JWKSet.parse(jwks.json()).getKeys().stream().map(JWK::getKeyID).toList();
    }

    static String kid(String token) throws Exception {
        return SignedJWT.parse(token).getHeader().getKeyID();
    }

    /** Verifies {@code token} with the key of its {@code kid} in {@code jwks}, as Grafana would; returns it parsed. */
    static SignedJWT verified(String token, PublishedJwks jwks) throws Exception {
        SignedJWT jwt = SignedJWT.parse(token);
        JWK key = JWKSet.parse(jwks.json()).getKeyByKeyId(jwt.getHeader().getKeyID());
        assertThat(key).as("kid " + jwt.getHeader().getKeyID() + " is published").isNotNull();
        assertThat(key.isPrivate()).as("only public keys are published").isFalse();
        JWSVerifier verifier = key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
        assertThat(jwt.verify(verifier)).as("signature").isTrue();
        return jwt;
    }

    /** Records log records of one logger while open. */
    static final class LogCapture implements AutoCloseable {
        private final Logger logger;
        private final List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };

        LogCapture(Class<?> type) {
            logger = Logger.getLogger(type.getName());
            logger.addHandler(handler);
        }

        List<String> messages(Level level) {
            return records.stream().filter(r -> r.getLevel().equals(level))
                    .map(r -> new java.util.logging.SimpleFormatter().formatMessage(r)).toList();
        }

        @Override
        public void close() {
            logger.removeHandler(handler);
        }
    }
}
