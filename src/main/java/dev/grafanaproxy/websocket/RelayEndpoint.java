package dev.grafanaproxy.websocket;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;

/**
 * The client side of one {@link Relay} as the container sees it. Public because containers insist
 * on public endpoint classes; the container gets this very instance from the relay's configurator.
 */
public final class RelayEndpoint extends Endpoint {
    private final Relay relay;

    RelayEndpoint(Relay relay) {
        this.relay = relay;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        relay.clientOpened(session);
    }

    @Override
    public void onClose(Session session, CloseReason closeReason) {
        relay.clientClosed(closeReason);
    }

    @Override
    public void onError(Session session, Throwable thr) {
        relay.clientError(thr);
    }
}
