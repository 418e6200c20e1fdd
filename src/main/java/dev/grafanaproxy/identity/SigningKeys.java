package dev.grafanaproxy.identity;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigKey;
import dev.grafanaproxy.config.Durations;
import dev.grafanaproxy.token.PemKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys behind the tokens the proxy mints for Grafana: the one that signs now, and every public
 * key Grafana may still need, published as a JWKS.
 *
 * <p><b>Rotation without restart.</b> With {@code grafana.jwt_signing_key_file} set, the file is
 * re-read at most once per {@code reload_interval} (0: never), on the request or JWKS fetch that
 * finds the check due (no thread of its own, nothing to stop on undeploy). When it holds a different key:
 * <ol>
 *   <li>the new key is <em>published</em> at once, next to the current one, but does not sign yet:
 *       Grafana keeps a fetched JWKS for up to {@code grafana.jwt_cache_ttl} and, unlike this proxy,
 *       does not refetch on an unknown {@code kid}, so a token signed by a key it has not seen yet
 *       would be refused;</li>
 *   <li>{@code grafana.jwt_cache_ttl} + {@code reload_interval} later the new key <em>signs</em>:
 *       every JWKS Grafana may still hold was fetched after the new key was published, by this
 *       instance or by any other that got the same file at the same time (each notices it within
 *       {@code reload_interval});</li>
 *   <li>the old key stays published until the last token it signed has expired, with Grafana's
 *       one-minute leeway ({@code grafana.jwt_ttl} + 1 minute after the switch), then it is dropped.</li>
 * </ol>
 * A file that is missing, unreadable or holds no usable key leaves the current key in charge and is
 * reported once per distinct content, at WARN. Writing the same key again changes nothing.
 *
 * <p>Without a file, a key is generated at start-up (RSA 2048, RS256) and its {@code kid} is logged.
 *
 * <p><b>Configuration reloads</b> hand the keys on ({@link #successor}): the new instance starts from
 * this one's keys, pending key and retired keys, so a reload never changes what signs or what is
 * published by itself; a different key file is taken up like a rotation.
 *
 * <p>Thread-safe. The hot path ({@link #current(long)}) is one volatile read and one comparison;
 * the thread that finds a check due does it while the others go on with the keys they have.
 */
final class SigningKeys {
    private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);

    /** Grafana accepts a token up to a minute past {@code exp} (go-jose's default leeway). */
    static final Duration GRAFANA_LEEWAY = Duration.ofMinutes(1);
    /** A PEM private key is a few KB; anything much larger is not one. */
    static final int MAX_KEY_FILE_BYTES = 64 * 1024;

    private static final String KEY = ConfigKey.GRAFANA_JWT_SIGNING_KEY_FILE.key();

    private final Path file;
    private final String where;
    private final Duration maxAge;
    private final Duration publishAhead;
    private final Duration keepRetired;
    private final long checkIntervalMillis;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Ring ring;

    // guarded by lock
    private byte[] seenContent;
    private String lastWarning;
    private long nextFileCheck;

    private record Retired(SigningKey key, long until) {
    }

    /**
     * An immutable snapshot: the signing key, a key waiting to sign from {@code nextFrom}, retired
     * keys published until their time, the rendered JWKS, and when something is next due.
     */
    private record Ring(SigningKey current, SigningKey next, long nextFrom, List<Retired> retired,
            PublishedJwks jwks, long dueAt) {
    }

    /**
     * @param file          the PEM private key file, or {@code null} to generate a key
     * @param cacheTtl      {@code grafana.jwt_cache_ttl}: how long Grafana may cache the JWKS
     * @param tokenTtl      {@code grafana.jwt_ttl}: how long a retired key's last tokens stay valid
     * @param checkInterval {@code reload_interval}: how often the file is looked at; zero: never again
     * @throws ConfigException naming {@code grafana.jwt_signing_key_file} when the file is unusable
     */
    SigningKeys(Path file, Duration cacheTtl, Duration tokenTtl, Duration checkInterval, Clock clock) {
        this.file = file;
        this.where = file == null ? null : "\"" + file + "\"";
        this.maxAge = cacheTtl;
        this.publishAhead = cacheTtl.plus(checkInterval);
        this.keepRetired = tokenTtl.plus(GRAFANA_LEEWAY);
        this.checkIntervalMillis = checkInterval.toMillis();
        this.clock = clock;
        SigningKey first;
        if (file == null) {
            first = SigningKey.generate();
            LOG.warn("{} is not set: Grafana tokens are signed with a key generated at start-up ({}). It changes at every "
                    + "restart (Grafana refuses requests until it refetches the JWKS) and differs between instances; set a "
                    + "key file for production", KEY, first);
        } else {
            byte[] content;
            try {
                content = read(file);
            } catch (IOException | RuntimeException e) {
                throw new ConfigException(KEY, where + " cannot be read (" + e.getClass().getSimpleName() + ")");
            }
            try {
                first = parse(content);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(KEY, where + " " + e.getMessage());
            }
            seenContent = content;
            LOG.info("Grafana tokens are signed with the {} from {}{}", first, where,
                    checkIntervalMillis > 0 ? "; the file is watched for a new key" : "");
        }
        nextFileCheck = clock.millis() + checkIntervalMillis;
        ring = ring(first, null, 0, List.of(), null);
    }

    /** The keys for a reloaded configuration: these keys handed on, see {@link #successor}. */
    private SigningKeys(SigningKeys previous, Path file, Duration cacheTtl, Duration tokenTtl, Duration checkInterval) {
        this.file = file;
        this.where = file == null ? null : "\"" + file + "\"";
        this.maxAge = cacheTtl;
        this.publishAhead = cacheTtl.plus(checkInterval);
        this.keepRetired = tokenTtl.plus(GRAFANA_LEEWAY);
        this.checkIntervalMillis = checkInterval.toMillis();
        this.clock = previous.clock;
        long now = clock.millis();
        Ring r = previous.ring;
        SigningKey current = r.current;
        SigningKey next = r.next;
        long nextFrom = r.nextFrom;
        List<Retired> retired = new ArrayList<>(r.retired);
        if (file != null && file.equals(previous.file)) {
            previous.lock.lock();
            try {
                seenContent = previous.seenContent;
                lastWarning = previous.lastWarning;
            } finally {
                previous.lock.unlock();
            }
        } else if (file != null) {
            byte[] content;
            try {
                content = read(file);
            } catch (IOException | RuntimeException e) {
                throw new ConfigException(KEY, where + " cannot be read (" + e.getClass().getSimpleName() + ")");
            }
            SigningKey found;
            try {
                found = parse(content);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(KEY, where + " " + e.getMessage());
            }
            seenContent = content;
            if (!found.kid().equals(current.kid()) && (next == null || !found.kid().equals(next.kid()))) {
                next = found;
                nextFrom = now + publishAhead.toMillis();
                retired.removeIf(x -> x.key().kid().equals(found.kid()));
                LOG.info("{} is now {}, which holds {}: published now, signs from {}; {} signs until then", KEY, where,
                        found, Instant.ofEpochMilli(nextFrom), current);
            }
        } else if (previous.file != null) {
            LOG.info("{} is no longer set: {} keeps signing, and is no longer reloaded from {}", KEY, current, previous.where);
        }
        nextFileCheck = now + checkIntervalMillis;
        ring = ring(current, next, nextFrom, retired, null);
    }

    /**
     * The keys for a reloaded configuration: the signing key, a pending key and the retired keys are
     * kept as they are (a generated key survives the reload). The same file goes on being watched; a
     * different file's key is published now and signs later, as in a rotation.
     *
     * @throws ConfigException naming {@code grafana.jwt_signing_key_file} when a different file is unusable
     */
    SigningKeys successor(Path newFile, Duration cacheTtl, Duration tokenTtl, Duration checkInterval) {
        return new SigningKeys(this, newFile, cacheTtl, tokenTtl, checkInterval);
    }

    /** The key that signs at {@code now} (epoch millis, from the same clock). */
    SigningKey current(long now) {
        Ring r = ring;
        if (now >= r.dueAt) {
            r = refresh(now);
        }
        return r.current;
    }

    /** The JWKS to publish now: the signing key, a key about to sign, keys whose tokens may still be live. */
    PublishedJwks jwks() {
        long now = clock.millis();
        Ring r = ring;
        if (now >= r.dueAt) {
            r = refresh(now);
        }
        return r.jwks;
    }

    private Ring refresh(long now) {
        if (!lock.tryLock()) {
            return ring; // another thread is at it; the keys we have are still valid
        }
        try {
            Ring r = ring;
            if (now < r.dueAt) {
                return r;
            }
            SigningKey current = r.current;
            SigningKey next = r.next;
            long nextFrom = r.nextFrom;
            List<Retired> retired = new ArrayList<>(r.retired);
            boolean changed = false;

            if (watching() && now >= nextFileCheck) {
                nextFileCheck = now + checkIntervalMillis;
                SigningKey found = checkFile(current);
                if (found != null) {
                    if (found.kid().equals(current.kid())) {
                        if (next != null) {
                            LOG.info("{} {} holds the signing key {} again: {} is withdrawn before it signed", KEY, where,
                                    current, next);
                            next = null;
                            changed = true;
                        }
                    } else if (next == null || !found.kid().equals(next.kid())) {
                        next = found;
                        nextFrom = now + publishAhead.toMillis();
                        String kid = found.kid();
                        retired.removeIf(x -> x.key().kid().equals(kid));
                        changed = true;
                        LOG.info("{} {} holds a new key: {} is published now and signs from {} ({} + reload_interval = {} "
                                + "later); {} signs until then", KEY, where, found, Instant.ofEpochMilli(nextFrom),
                                ConfigKey.GRAFANA_JWT_CACHE_TTL.key(), Durations.format(publishAhead), current);
                    }
                }
            }
            if (next != null && now >= nextFrom) {
                long until = now + keepRetired.toMillis();
                retired.add(new Retired(current, until));
                LOG.info("{} signs Grafana tokens from now on; {} stays published until {}, when its last tokens have expired",
                        next, current, Instant.ofEpochMilli(until));
                current = next;
                next = null;
                changed = true;
            }
            for (Retired x : List.copyOf(retired)) {
                if (now >= x.until()) {
                    retired.remove(x);
                    changed = true;
                    LOG.info("{} is no longer published: every token it signed has expired", x.key());
                }
            }
            Ring nr = ring(current, next, nextFrom, retired, changed ? null : r.jwks);
            ring = nr;
            return nr;
        } finally {
            lock.unlock();
        }
    }

    private Ring ring(SigningKey current, SigningKey next, long nextFrom, List<Retired> retired, PublishedJwks jwks) {
        long due = watching() ? nextFileCheck : Long.MAX_VALUE;
        if (next != null) {
            due = Math.min(due, nextFrom);
        }
        for (Retired x : retired) {
            due = Math.min(due, x.until());
        }
        if (jwks == null) {
            List<JWK> keys = new ArrayList<>();
            keys.add(current.publicJwk());
            if (next != null) {
                keys.add(next.publicJwk());
            }
            retired.forEach(x -> keys.add(x.key().publicJwk()));
            jwks = render(keys);
        }
        return new Ring(current, next, nextFrom, List.copyOf(retired), jwks, due);
    }

    private boolean watching() {
        return file != null && checkIntervalMillis > 0;
    }

    private PublishedJwks render(List<JWK> keys) {
        String json = new JWKSet(keys).toString(true);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8));
            String etag = "\"" + Base64URL.encode(Arrays.copyOf(digest, 16)) + "\"";
            return new PublishedJwks(json, etag, maxAge);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JRE has SHA-256
        }
    }

    /** A key in the file that differs from what was last read, or {@code null}. */
    private SigningKey checkFile(SigningKey current) {
        byte[] content;
        try {
            content = read(file);
        } catch (IOException | RuntimeException e) {
            warnOnce("cannot be read (" + e.getClass().getSimpleName() + ")", current);
            return null;
        }
        if (Arrays.equals(content, seenContent)) {
            return null;
        }
        SigningKey found;
        try {
            found = parse(content);
        } catch (IllegalArgumentException e) {
            // not remembered as seen: a file caught half-written is read again at the next check
            warnOnce(e.getMessage(), current);
            return null;
        }
        seenContent = content;
        lastWarning = null;
        return found;
    }

    private void warnOnce(String problem, SigningKey current) {
        if (!problem.equals(lastWarning)) {
            lastWarning = problem;
            LOG.warn("{} {} {}; {} keeps signing", KEY, where, problem, current);
        }
    }

    private static byte[] read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(MAX_KEY_FILE_BYTES + 1);
            if (b.length > MAX_KEY_FILE_BYTES) {
                throw new IOException("larger than " + MAX_KEY_FILE_BYTES + " bytes");
            }
            return b;
        }
    }

    /** @throws IllegalArgumentException with a message that names no key material */
    private static SigningKey parse(byte[] content) {
        PemKeys.PrivatePem pem = PemKeys.parsePrivate(new String(content, StandardCharsets.US_ASCII));
        return SigningKey.of(pem.privateKey(), pem.publicKey());
    }
}
