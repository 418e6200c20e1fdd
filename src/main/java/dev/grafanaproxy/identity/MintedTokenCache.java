package dev.grafanaproxy.identity;

import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The tokens minted for Grafana, one per identity: a dashboard's dozens of requests cost one
 * signature per identity per token lifetime. An entry is served while it was signed by the key
 * that signs now and its refresh time has not come; otherwise the identity gets a new token. Two
 * requests of one identity that find no usable entry at once mint one token between them (a lock
 * per identity, never a global one).
 *
 * <p>Bounded: when the map outgrows {@code maxEntries}, one inserting thread sweeps out entries
 * that are stale (expired or signed by an old key) and, if that is not enough, arbitrary ones
 * down to 90%; concurrent inserts may overshoot the bound by the number of threads inserting.
 */
final class MintedTokenCache {
    static final int DEFAULT_MAX_ENTRIES = 10_000;

    /** One minted token with what decides its reuse. */
    record Minted(IdentityHeaders headers, SigningKey key, long refreshAt, long expiresAt) {
    }

    @FunctionalInterface
    interface Minter {
        Minted mint(Identity identity, SigningKey key, long now);
    }

    private static final class Slot {
        volatile Minted minted;
    }

    private final int maxEntries;
    private final ConcurrentHashMap<Identity, Slot> slots;
    private final AtomicBoolean sweeping = new AtomicBoolean();

    MintedTokenCache(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive");
        }
        this.maxEntries = maxEntries;
        this.slots = new ConcurrentHashMap<>(Math.min(maxEntries, 1024) * 2);
    }

    /** The headers of a usable token for {@code identity} signed by {@code key}, minting one if needed. */
    IdentityHeaders get(Identity identity, SigningKey key, long now, Minter minter) {
        Slot slot = slots.get(identity);
        if (slot != null) {
            Minted m = slot.minted;
            if (usable(m, key, now)) {
                return m.headers();
            }
        } else {
            slot = slots.computeIfAbsent(identity, k -> new Slot());
            if (slots.size() > maxEntries) {
                sweep(key, now);
            }
        }
        synchronized (slot) {
            Minted m = slot.minted;
            if (!usable(m, key, now)) {
                m = minter.mint(identity, key, now);
                slot.minted = m;
            }
            return m.headers();
        }
    }

    int size() {
        return slots.size();
    }

    private static boolean usable(Minted m, SigningKey key, long now) {
        return m != null && m.key() == key && now < m.refreshAt();
    }

    private void sweep(SigningKey key, long now) {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            slots.values().removeIf(s -> {
                Minted m = s.minted;
                return m != null && (m.key() != key || now >= m.expiresAt());
            });
            int target = maxEntries - maxEntries / 10;
            Iterator<Slot> it = slots.values().iterator();
            while (slots.size() > target && it.hasNext()) {
                it.next();
                it.remove();
            }
        } finally {
            sweeping.set(false);
        }
    }
}
