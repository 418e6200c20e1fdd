package dev.grafanaproxy.identity;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigKey;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.IdentityRejectedException.Reason;
import io.burt.jmespath.Expression;
import io.burt.jmespath.JmesPathException;
import io.burt.jmespath.jackson.JacksonRuntime;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Maps verified JWT claims to an {@link Identity} the way Grafana's {@code [auth.jwt]} does:
 *
 * <ul>
 *   <li>login, email and name come from the top-level claims named by {@code jwt.username_claim},
 *       {@code jwt.email_claim} and {@code jwt.name_claim} (a dotted name is one claim name, not a
 *       path); only string values count, an empty one counts as absent;</li>
 *   <li>the role is the string result of the JMESPath {@code jwt.role_attribute_path}, matched exactly
 *       (case-sensitively) against Viewer, Editor, Admin and GrafanaAdmin; anything else, or an
 *       evaluation error such as {@code contains(null, ...)}, maps no role, which Grafana fills with its
 *       default unless {@code jwt.role_attribute_strict} rejects the token;</li>
 *   <li>groups are the strings in the array {@code jwt.groups_attribute_path} gives (a single string
 *       is a one-element list; other elements, empty names and repeats are dropped);</li>
 *   <li>the org is {@code jwt.org_attribute_path}'s number or numeric string.</li>
 * </ul>
 *
 * <p>The expressions are compiled once, here; a syntax error is a {@link ConfigException} naming the
 * key. Instances are immutable and thread-safe.
 */
public final class IdentityMapper {
    private static final JacksonRuntime JMESPATH = new JacksonRuntime();
    private static final BigInteger MAX_ORG_ID = BigInteger.valueOf(Long.MAX_VALUE);

    private final String usernameClaim;
    private final String emailClaim;
    private final String nameClaim;
    private final ProxyConfig.HeaderProperty headerProperty;
    private final boolean roleStrict;
    private final Expression<JsonNode> rolePath;
    private final Expression<JsonNode> groupsPath;
    private final Expression<JsonNode> orgPath;

    /** @throws ConfigException when a JMESPath setting does not compile, or strict mode has no role path */
    public IdentityMapper(ProxyConfig config) {
        this.usernameClaim = config.usernameClaim();
        this.emailClaim = config.emailClaim();
        this.nameClaim = config.nameClaim();
        this.headerProperty = config.headerProperty();
        this.roleStrict = config.roleAttributeStrict();
        this.rolePath = compile(ConfigKey.JWT_ROLE_ATTRIBUTE_PATH, config.roleAttributePath());
        this.groupsPath = compile(ConfigKey.JWT_GROUPS_ATTRIBUTE_PATH, config.groupsAttributePath());
        this.orgPath = compile(ConfigKey.JWT_ORG_ATTRIBUTE_PATH, config.orgAttributePath());
        if (roleStrict && rolePath == null) {
            // Grafana would deny every login in this set-up; say so at start-up instead
            throw new ConfigException(ConfigKey.JWT_ROLE_ATTRIBUTE_STRICT.key(),
                    "true needs jwt.role_attribute_path, else no role can ever map and every user is denied");
        }
    }

    /**
     * @param claims the verified token's claims (JSON types: String, Number, Boolean, List, Map, null;
     *               Dates count as NumericDate seconds)
     * @throws IdentityRejectedException when the claims cannot become a safe identity
     */
    public Identity map(Map<String, ?> claims) throws IdentityRejectedException {
        String login = textClaim(claims, usernameClaim, ConfigKey.JWT_USERNAME_CLAIM);
        String email = textClaim(claims, emailClaim, ConfigKey.JWT_EMAIL_CLAIM);
        String name = textClaim(claims, nameClaim, ConfigKey.JWT_NAME_CLAIM);

        if (headerProperty == ProxyConfig.HeaderProperty.EMAIL ? email == null : login == null) {
            String claim = headerProperty == ProxyConfig.HeaderProperty.EMAIL ? emailClaim : usernameClaim;
            ConfigKey key = headerProperty == ProxyConfig.HeaderProperty.EMAIL ? ConfigKey.JWT_EMAIL_CLAIM : ConfigKey.JWT_USERNAME_CLAIM;
            throw new IdentityRejectedException(Reason.MISSING_USERNAME, "no username: claim \"" + claim + "\" ("
                    + key.key() + ", used for grafana.header_property=" + headerProperty.name().toLowerCase(Locale.ROOT)
                    + ") is missing, empty or not a string");
        }

        JsonNode tree = rolePath == null && groupsPath == null && orgPath == null ? null : ClaimsJson.of(claims);

        GrafanaRole role = null;
        if (rolePath != null) {
            JsonNode r = search(rolePath, tree);
            if (r != null && r.isTextual()) {
                role = GrafanaRole.fromGrafanaName(r.textValue()).orElse(null);
            }
            if (role == null && roleStrict) {
                throw new IdentityRejectedException(Reason.NO_ROLE, "jwt.role_attribute_strict is true and "
                        + "jwt.role_attribute_path gave no role out of Viewer, Editor, Admin, GrafanaAdmin");
            }
        }

        List<String> groups = groupsPath == null ? List.of() : groups(search(groupsPath, tree));
        String orgId = orgPath == null ? null : orgId(search(orgPath, tree));

        return Identity.builder().login(login).email(email).name(name).role(role).groups(groups).orgId(orgId).build();
    }

    private static String textClaim(Map<String, ?> claims, String claim, ConfigKey key) throws IdentityRejectedException {
        Object v = claims.get(claim);
        if (!(v instanceof String)) {
            return null; // as Grafana: claims[key].(string), a number or list is no login
        }
        String s = (String) v;
        requireClean(s, "claim \"" + claim + "\" (" + key.key() + ")");
        return s.isBlank() ? null : s;
    }

    private static List<String> groups(JsonNode result) throws IdentityRejectedException {
        if (result == null) {
            return List.of();
        }
        List<JsonNode> items = new ArrayList<>();
        if (result.isTextual()) {
            items.add(result);
        } else if (result.isArray()) {
            result.forEach(items::add);
        }
        Set<String> groups = new LinkedHashSet<>();
        for (JsonNode item : items) {
            if (item.isTextual()) {
                String g = item.textValue();
                requireClean(g, "a group from jwt.groups_attribute_path");
                if (!g.isBlank()) {
                    groups.add(g);
                }
            }
        }
        return List.copyOf(groups);
    }

    private static String orgId(JsonNode result) throws IdentityRejectedException {
        if (result == null || result.isNull() || result.isMissingNode()) {
            return null;
        }
        BigInteger id = null;
        if (result.isTextual()) {
            String s = result.textValue();
            requireClean(s, "the value of jwt.org_attribute_path");
            if (s.isBlank()) {
                return null;
            }
            if (s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                id = new BigInteger(s);
            }
        } else if (result.isNumber()) {
            try {
                id = result.decimalValue().toBigIntegerExact();
            } catch (ArithmeticException fraction) {
                id = null;
            }
        }
        if (id == null || id.signum() <= 0 || id.compareTo(MAX_ORG_ID) > 0) {
            throw new IdentityRejectedException(Reason.INVALID_ORG,
                    "jwt.org_attribute_path gave no positive whole number usable as a Grafana org id");
        }
        return id.toString();
    }

    private static void requireClean(String value, String what) throws IdentityRejectedException {
        if (Identity.invalidCharacterAt(value) >= 0) {
            // the value itself stays out of the message: it may be an attacker's payload or personal data
            throw new IdentityRejectedException(Reason.INVALID_CHARACTER, what + " holds a control character");
        }
    }

    /** Evaluation errors (e.g. {@code contains()} on a missing claim) mean "no value", as in Grafana. */
    private static JsonNode search(Expression<JsonNode> expression, JsonNode tree) {
        try {
            JsonNode r = expression.search(tree);
            return r == null || r.isNull() || r.isMissingNode() ? null : r;
        } catch (JmesPathException | IllegalArgumentException | ClassCastException e) {
            return null;
        }
    }

    private static Expression<JsonNode> compile(ConfigKey key, String expression) {
        if (expression == null) {
            return null;
        }
        try {
            return JMESPATH.compile(expression);
        } catch (JmesPathException e) {
            String detail = e.getMessage() == null ? "" : e.getMessage();
            // the library repeats the expression in its message; keep only what it says is wrong
            int colon = detail.indexOf("\": ");
            if (detail.startsWith("Unable to compile expression") && colon >= 0) {
                detail = detail.substring(colon + 3);
            }
            throw new ConfigException(key.key(), "\"" + expression + "\" is not a valid JMESPath expression: " + detail);
        }
    }
}
