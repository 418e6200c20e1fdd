package dev.grafanaproxy.proxy;

import jakarta.servlet.http.HttpServletResponse;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.util.DeadlineTimeoutException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

/** Maps why an exchange with Grafana failed to the status and one-line message the client gets. */
record UpstreamFailure(int status, String message) {

    static UpstreamFailure classify(Throwable cause, String responseTimeout) {
        return classify(cause, responseTimeout, "Grafana");
    }

    /** As above, naming the target ({@code Grafana}, or a route's target) in the message. */
    static UpstreamFailure classify(Throwable cause, String responseTimeout, String target) {
        Throwable t = unwrap(cause);
        if (t instanceof ConnectTimeoutException || t instanceof HttpHostConnectException || t instanceof ConnectException
                || t instanceof NoRouteToHostException || t instanceof UnknownHostException) {
            return new UpstreamFailure(HttpServletResponse.SC_BAD_GATEWAY, target + " is unreachable");
        }
        if (t instanceof ConnectionRequestTimeoutException || t instanceof DeadlineTimeoutException) {
            return new UpstreamFailure(HttpServletResponse.SC_GATEWAY_TIMEOUT,
                    "no connection to " + target + " became free within " + responseTimeout);
        }
        if (t instanceof SocketTimeoutException) {
            return new UpstreamFailure(HttpServletResponse.SC_GATEWAY_TIMEOUT,
                    target + " did not answer within " + responseTimeout);
        }
        return new UpstreamFailure(HttpServletResponse.SC_BAD_GATEWAY, "the connection to " + target + " failed");
    }

    /** The same failure after Grafana's head arrived: a 502 then says the response broke off. */
    UpstreamFailure midBody(String target) {
        return status == HttpServletResponse.SC_BAD_GATEWAY
                ? new UpstreamFailure(status, target + "'s response broke off") : this;
    }

    /** A short description of the cause for the log, e.g. {@code ConnectException: Connection refused}. */
    static String describe(Throwable cause) {
        Throwable t = unwrap(cause);
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.ExecutionException || c instanceof java.util.concurrent.CompletionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
