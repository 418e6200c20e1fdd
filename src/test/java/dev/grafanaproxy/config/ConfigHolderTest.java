package dev.grafanaproxy.config;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigHolderTest {
    private static ProxyConfig config(String url) {
        return ProxyConfig.custom().set("grafana.url", url).set("jwt.secret", "0123456789abcdef0123456789abcdef").build();
    }

    @Test
    void allParticipantsPrepareBeforeAnyCommits() {
        ConfigHolder holder = new ConfigHolder(config("http://a:3000"));
        List<String> events = new ArrayList<>();
        for (String name : List.of("filter", "servlet")) {
            holder.register(next -> {
                events.add("prepare " + name + " " + next.grafanaUrl().getHost());
                return () -> events.add("commit " + name);
            });
        }
        holder.apply(config("http://b:3000"));
        assertThat(events).containsExactly("prepare filter b", "prepare servlet b", "commit filter", "commit servlet");
        assertThat(holder.current().grafanaUrl().getHost()).isEqualTo("b");
        assertThat(holder.generation()).isEqualTo(1);
    }

    @Test
    void aFailingParticipantAbortsTheOthersAndKeepsTheOldConfiguration() {
        ProxyConfig initial = config("http://a:3000");
        ConfigHolder holder = new ConfigHolder(initial);
        List<String> events = new ArrayList<>();
        holder.register(next -> new ConfigHolder.Transition() {
            @Override
            public void commit() {
                events.add("commit first");
            }

            @Override
            public void abort() {
                events.add("abort first");
            }
        });
        holder.register(next -> {
            throw new ConfigException("jwt.key_file", "cannot read");
        });
        assertThatThrownBy(() -> holder.apply(config("http://b:3000")))
                .isInstanceOf(ConfigException.class).hasMessage("jwt.key_file: cannot read");
        assertThat(events).containsExactly("abort first");
        assertThat(holder.current()).isSameAs(initial);
        assertThat(holder.generation()).isZero();
    }
}
