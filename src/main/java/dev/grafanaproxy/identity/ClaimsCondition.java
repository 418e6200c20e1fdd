package dev.grafanaproxy.identity;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grafanaproxy.config.ConfigException;
import io.burt.jmespath.Expression;
import io.burt.jmespath.JmesPathException;
import io.burt.jmespath.jackson.JacksonRuntime;

import java.util.Map;

/**
 * A JMESPath condition over verified claims, e.g. {@code contains(roles, 'admin')}, as a route's
 * {@code require} uses it. The result counts as JMESPath truthiness does: {@code false}, {@code null},
 * an empty string, array or object are false, everything else is true. An evaluation error (e.g.
 * {@code contains()} on a missing claim) is false: a condition that cannot be decided denies.
 * Compiled once; immutable and thread-safe.
 */
public final class ClaimsCondition {
    private static final JacksonRuntime JMESPATH = new JacksonRuntime();

    private final String text;
    private final Expression<JsonNode> expression;

    private ClaimsCondition(String text, Expression<JsonNode> expression) {
        this.text = text;
        this.expression = expression;
    }

    /** @throws ConfigException naming {@code key} when the expression does not compile */
    public static ClaimsCondition compile(String key, String expression) {
        try {
            return new ClaimsCondition(expression, JMESPATH.compile(expression));
        } catch (JmesPathException e) {
            String detail = e.getMessage() == null ? "" : e.getMessage();
            int colon = detail.indexOf("\": ");
            if (detail.startsWith("Unable to compile expression") && colon >= 0) {
                detail = detail.substring(colon + 3);
            }
            throw new ConfigException(key, "\"" + expression + "\" is not a valid JMESPath expression: " + detail);
        }
    }

    /** Whether the claims satisfy the condition. */
    public boolean test(Map<String, ?> claims) {
        JsonNode r;
        try {
            r = expression.search(ClaimsJson.of(claims));
        } catch (JmesPathException | IllegalArgumentException | ClassCastException e) {
            return false;
        }
        if (r == null || r.isNull() || r.isMissingNode()) {
            return false;
        }
        if (r.isBoolean()) {
            return r.booleanValue();
        }
        if (r.isTextual()) {
            return !r.textValue().isEmpty();
        }
        if (r.isContainerNode()) {
            return r.size() > 0;
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
