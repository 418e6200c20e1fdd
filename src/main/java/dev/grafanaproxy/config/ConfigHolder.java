package dev.grafanaproxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The web app's current {@link ProxyConfig}, and the one place a new configuration is switched in.
 * Components that derive state from the configuration (the auth filter's verifier, the proxy's HTTP
 * client) register as {@link Participant}s. A switch is two-phase: every participant first
 * <em>prepares</em> its new state from the new configuration (building a verifier can still fail,
 * e.g. on an unreadable key file); only when all succeeded do all <em>commit</em>, so the web app
 * never runs half on the old and half on the new configuration. On any failure the prepared states
 * are discarded and the old configuration stays, whole.
 */
public final class ConfigHolder {

    /** Something that holds state derived from the configuration. */
    public interface Participant {
        /**
         * Builds the new state without publishing it.
         *
         * @throws ConfigException when the new configuration cannot be used; nothing changes then
         */
        Transition prepare(ProxyConfig next);
    }

    /** A prepared switch: {@link #commit()} publishes it, {@link #abort()} discards it. */
    public interface Transition {
        void commit();

        default void abort() {
        }

        /** A transition from two actions: publish the prepared state, or discard it. */
        static Transition of(Runnable commit, Runnable abort) {
            return new Transition() {
                @Override
                public void commit() {
                    commit.run();
                }

                @Override
                public void abort() {
                    abort.run();
                }
            };
        }
    }

    private final List<Participant> participants = new CopyOnWriteArrayList<>();
    private volatile ProxyConfig current;
    private volatile long generation;

    public ConfigHolder(ProxyConfig initial) {
        this.current = Objects.requireNonNull(initial);
    }

    public ProxyConfig current() {
        return current;
    }

    /** How many times a new configuration was switched in (0 at start-up). */
    public long generation() {
        return generation;
    }

    public void register(Participant participant) {
        participants.add(participant);
    }

    public void unregister(Participant participant) {
        participants.remove(participant);
    }

    /**
     * Switches to {@code next} if every participant can use it.
     *
     * @throws ConfigException from the first participant that cannot; the old configuration stays
     */
    public synchronized void apply(ProxyConfig next) {
        List<Transition> prepared = new ArrayList<>();
        try {
            for (Participant p : participants) {
                prepared.add(p.prepare(next));
            }
        } catch (RuntimeException e) {
            for (Transition t : prepared) {
                try {
                    t.abort();
                } catch (RuntimeException ignored) {
                    // discarding a prepared state must not hide the reason the switch failed
                }
            }
            throw e;
        }
        current = next;
        generation++;
        for (Transition t : prepared) {
            t.commit();
        }
    }
}
