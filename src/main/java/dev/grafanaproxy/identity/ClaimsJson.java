package dev.grafanaproxy.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

/**
 * Claims as a Jackson tree for JMESPath. Written out by hand rather than via {@code
 * ObjectMapper.valueToTree} so that no bean introspection runs on claim objects, and so that JWT
 * dates (Nimbus hands {@code exp}, {@code iat}, {@code nbf} over as {@link Date}) become NumericDate
 * seconds, as they are in the token.
 */
final class ClaimsJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ClaimsJson() {
    }

    static ObjectNode of(Map<String, ?> claims) {
        ObjectNode o = NODES.objectNode();
        claims.forEach((k, v) -> o.set(k, node(v)));
        return o;
    }

    private static JsonNode node(Object v) {
        if (v == null) {
            return NODES.nullNode();
        }
        if (v instanceof JsonNode) {
            return (JsonNode) v;
        }
        if (v instanceof CharSequence || v instanceof Character) {
            return NODES.textNode(v.toString());
        }
        if (v instanceof Boolean) {
            return NODES.booleanNode((Boolean) v);
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return NODES.numberNode(((Number) v).longValue());
        }
        if (v instanceof BigInteger) {
            return NODES.numberNode((BigInteger) v);
        }
        if (v instanceof BigDecimal) {
            return NODES.numberNode((BigDecimal) v);
        }
        if (v instanceof Number) {
            return NODES.numberNode(((Number) v).doubleValue());
        }
        if (v instanceof Date) {
            return NODES.numberNode(((Date) v).getTime() / 1000);
        }
        if (v instanceof Instant) {
            return NODES.numberNode(((Instant) v).getEpochSecond());
        }
        if (v instanceof Map) {
            ObjectNode o = NODES.objectNode();
            ((Map<?, ?>) v).forEach((k, x) -> o.set(String.valueOf(k), node(x)));
            return o;
        }
        if (v instanceof Iterable) {
            ArrayNode a = NODES.arrayNode();
            for (Object x : (Iterable<?>) v) {
                a.add(node(x));
            }
            return a;
        }
        if (v.getClass().isArray()) {
            ArrayNode a = NODES.arrayNode();
            for (int i = 0, n = Array.getLength(v); i < n; i++) {
                a.add(node(Array.get(v, i)));
            }
            return a;
        }
        return NODES.textNode(v.toString());
    }
}
