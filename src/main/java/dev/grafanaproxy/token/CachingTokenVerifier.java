package dev.grafanaproxy.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers tokens that verified, so a browser's dozens of requests per dashboard cost one signature
 * check. Keys are SHA-256 digests of the token, never the token itself, so a heap dump holds no
 * credentials beyond what {@link VerifiedToken} keeps. An entry is served until the token's
 * {@code exp} (without the clock skew the verifier grants: after {@code exp} the token goes back to
 * the verifier, which decides) and at most {@code maxAge} after it was verified, so keys removed
 * from a JWKS stop working for cached tokens too. Rejections are not cached.
 *
 * <p>Thread-safe and lock-free on the hit path (one digest, one {@link ConcurrentHashMap} read).
 * When the map outgrows {@code maxEntries}, an inserting thread sweeps expired entries and, if that
 * is not enough, drops arbitrary ones down to 90%; concurrent inserts may overshoot the bound only
 * while they are in progress.
 */
public final class CachingTokenVerifier implements TokenVerifier {

    public static final int DEFAULT_MAX_ENTRIES = 10_000;
    public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(5);

    private static final MessageDigest SHA256;

    static {
        try {
            SHA256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError(e); // every JRE must provide SHA-256
        }
    }

    private final TokenVerifier delegate;
    private final int maxEntries;
    private final long maxAgeMillis;
    private final Clock clock;
    private final ConcurrentHashMap<Digest, Entry> entries;
    private final Object sweepLock = new Object();

    public CachingTokenVerifier(TokenVerifier delegate) {
        this(delegate, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_AGE, Clock.systemUTC());
    }

    public CachingTokenVerifier(TokenVerifier delegate, int maxEntries, Duration maxAge, Clock clock) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive");
        }
        this.maxEntries = maxEntries;
        this.maxAgeMillis = maxAge.toMillis();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.entries = new ConcurrentHashMap<>(Math.min(maxEntries, 1024) * 2);
    }

    @Override
    public VerifiedToken verify(String token) throws TokenRejectedException {
        if (token == null || token.length() > JwtVerifier.MAX_TOKEN_LENGTH) {
            return delegate.verify(token); // rejected there; not worth hashing 100 KB first
        }
        Digest key = Digest.of(token);
        long now = clock.millis();
        Entry hit = entries.get(key);
        if (hit != null) {
            if (now < hit.notAfter) {
                return hit.token;
            }
            entries.remove(key, hit);
        }
        VerifiedToken verified = delegate.verify(token);
        long notAfter = Math.min(verified.expiresAt().toEpochMilli(), now + maxAgeMillis);
        if (notAfter > now) {
            entries.put(key, new Entry(verified, notAfter));
            if (entries.size() > maxEntries) {
                shrink(now);
            }
        }
        return verified;
    }

    private void shrink(long now) {
        // rare (only when full), so a lock is cheap here; every inserter that saw the map too big
        // re-checks under it, so the bound holds once the inserts are done
        synchronized (sweepLock) {
            if (entries.size() <= maxEntries) {
                return;
            }
            entries.values().removeIf(e -> e.notAfter <= now);
            int excess = entries.size() - (maxEntries - maxEntries / 10);
            // iteration order follows hashes of random digests: effectively random eviction, no LRU bookkeeping
            for (Iterator<Digest> it = entries.keySet().iterator(); excess > 0 && it.hasNext(); excess--) {
                it.next();
                it.remove();
            }
        }
    }

    /** Entries currently held (for tests and metrics). */
    public int size() {
        return entries.size();
    }

    /** Whether a result for this token is held (for tests: looks up by digest, as {@link #verify} does). */
    boolean holds(String token) {
        return entries.containsKey(Digest.of(token));
    }

    /** Whether the map's keys are digests only (for tests: no key type can hold the token string). */
    boolean keysAreDigests() {
        return entries.keySet().stream().allMatch(k -> k.getClass() == Digest.class);
    }

    @Override
    public KeySourceStatus keySourceStatus() {
        return delegate.keySourceStatus();
    }

    @Override
    public void close() {
        entries.clear();
        delegate.close();
    }

    @Override
    public String toString() {
        return "CachingTokenVerifier[" + entries.size() + "/" + maxEntries + " entries, " + delegate + "]";
    }

    private static final class Entry {
        final VerifiedToken token;
        final long notAfter;

        Entry(VerifiedToken token, long notAfter) {
            this.token = token;
            this.notAfter = notAfter;
        }
    }

    /** A SHA-256 digest as four longs: cheap equals and hashCode, no array kept. */
    static final class Digest {
        final long a;
        final long b;
        final long c;
        final long d;

        private Digest(byte[] h) {
            a = word(h, 0);
            b = word(h, 8);
            c = word(h, 16);
            d = word(h, 24);
        }

        static Digest of(String token) {
            MessageDigest md;
            try {
                md = (MessageDigest) SHA256.clone(); // cheaper than getInstance, and no ThreadLocal to leak on undeploy
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            }
            // US-ASCII maps anything else to '?', which no valid token contains: a non-ASCII string can
            // never share a digest with a token that verified
            return new Digest(md.digest(token.getBytes(StandardCharsets.US_ASCII)));
        }

        private static long word(byte[] h, int off) {
            long v = 0;
            for (int i = off; i < off + 8; i++) {
                v = (v << 8) | (h[i] & 0xFF);
            }
            return v;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Digest)) {
                return false;
            }
            Digest x = (Digest) o;
            return a == x.a && b == x.b && c == x.c && d == x.d;
        }

        @Override
        public int hashCode() {
            return (int) (a ^ (a >>> 32));
        }

        @Override
        public String toString() {
            return "Digest[" + Long.toHexString(a) + "...]";
        }
    }
}
