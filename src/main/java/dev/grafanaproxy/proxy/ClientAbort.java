package dev.grafanaproxy.proxy;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Breaks off a committed response so the client sees a failed transfer, not a complete one. The
 * Servlet API has no call for this, so each container gets its own documented way:
 * Jetty aborts the connection on {@code sendError(-1)}; Tomcat closes it when a servlet fails with
 * a {@code ClientAbortException} on a committed response, which the proxy triggers by dispatching
 * the request back to itself with {@link #ATTRIBUTE} set.
 */
final class ClientAbort {
    /** Set on a request whose async dispatch must fail the response. */
    static final String ATTRIBUTE = ClientAbort.class.getName();

    private ClientAbort() {
    }

    static void abort(HttpServletRequest request, HttpServletResponse response, AsyncContext async) {
        boolean aborted;
        try {
            response.sendError(-1); // Jetty: abort the connection
            aborted = true;
        } catch (IllegalStateException | IOException notJetty) {
            aborted = false; // Tomcat refuses sendError on a committed response: use the dispatch route below
        }
        if (aborted) {
            try {
                async.complete();
            } catch (IllegalStateException alreadyDone) {
                // the abort completed the exchange already
            }
            return;
        }
        try {
            request.setAttribute(ATTRIBUTE, Boolean.TRUE);
            async.dispatch();
        } catch (RuntimeException e) {
            // already completing: the container will close on its own
        }
    }

    /** Thrown from the dispatched request; Tomcat logs it at debug level only and closes the connection. */
    static IOException failure() {
        try {
            Class<?> type = Class.forName("org.apache.catalina.connector.ClientAbortException");
            return (IOException) type.getConstructor(String.class).newInstance("upstream response broke off");
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            return new IOException("upstream response broke off");
        }
    }
}
