package io.ferry.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code rules} section, as read and checked: rules on requests (HAProxy {@code http-request}, nginx
 * {@code rewrite}/{@code return}/{@code allow}/{@code deny}/{@code proxy_set_header}) and on responses
 * (HAProxy {@code http-response}, nginx {@code add_header}), and request IDs. Data only: the rule engine
 * ({@code io.ferry.rules}) compiles it.
 */
public record RulesConfig(List<Rule> request, List<Rule> response, RequestId requestId, Map<String, MapTable> maps,
                          Map<Integer, ErrorPage> errorPages, boolean interceptBackendErrors, Map<String, Limit> limits,
                          Map<String, Users> auth) {
    public static final RulesConfig NONE = new RulesConfig(List.of(), List.of(), RequestId.OFF, Map.of(), Map.of(), false,
            Map.of(), Map.of());

    /** The users of an htpasswd file (bcrypt hashes), read at load and on reload, and the realm shown. */
    public record Users(String name, java.nio.file.Path file, String realm, Map<String, String> bcryptByUser) {
    }

    /**
     * A request rate per key (HAProxy: a stick-table's http_req_rate; nginx: limit_req_zone + limit_req
     * burst nodelay): {@code rate} requests per {@code per}, {@code burst} more at once, counted per
     * {@code key} (the client after real-ip by default) in a table of at most {@code tableSize} keys.
     * Or, with {@code concurrent} above 0 (and rate 0), requests in progress at once per key (HAProxy:
     * sc_conn_cur / a stick-table's conn_cur; nginx: limit_conn).
     */
    public record Limit(String name, int rate, java.time.Duration per, int burst, Template key, int tableSize,
                        int status, int concurrent) {
    }

    /** A page for one status (HAProxy errorfile, nginx error_page), read when the config is loaded. */
    public record ErrorPage(int status, String contentType, byte[] body) {
    }

    /** One rule: when {@code when} holds (always when null), its actions run in the order listed. */
    public record Rule(String name, When when, List<Action> actions) {
    }

    /** A condition on the request (and for response rules, on the response). */
    public sealed interface When {
    }

    public record All(List<When> of) implements When {
    }

    public record Any(List<When> of) implements When {
    }

    public record Not(When of) implements When {
    }

    /** Host without port, compared without case; {@code *.example.org} matches its subdomains. */
    public record Host(List<String> hosts) implements When {
    }

    /** The path (normalised, without the query). */
    public record Path(Match match, List<String> values, Pattern regex) implements When {
    }

    public enum Match { EXACT, PREFIX, REGEX }

    public record Method(List<String> methods) implements When {
    }

    /** A request header, cookie or query argument: present, equal to a value, or matching a regex. */
    public record Field(FieldKind kind, String name, String equals, Pattern regex) implements When {
    }

    public enum FieldKind { HEADER, COOKIE, ARG }

    /** The client's address (after real-ip) in one of the networks. */
    public record Network(List<Cidr> networks) implements When {
    }

    public record Tls(boolean tls) implements When {
    }

    /** The listener the request came in on, by name. */
    public record Listener(List<String> names) implements When {
    }

    /** The request's key is found in one of these maps (HAProxy: {@code -m found}; nginx: a non-empty map value). */
    public record InMap(List<String> maps) implements When {
    }

    /** Response rules: the status is one of these (a code, or a class such as 5 for 5xx). */
    public record Status(List<Integer> codes, List<Integer> classes) implements When {
    }

    /** Response rules: the Content-Type starts with one of these, without case (text/html). */
    public record ContentType(List<String> prefixes) implements When {
    }

    /** What a rule does. */
    public sealed interface Action {
        /** Ends the request rules with an answer or a choice of backend. */
        default boolean terminal() {
            return false;
        }
    }

    public record SetHeader(String name, Template value) implements Action {
    }

    public record AddHeader(String name, Template value) implements Action {
    }

    public record DelHeader(String name) implements Action {
    }

    /** The path (and query) rewritten: the first match of {@code regex} replaced ($1 for groups, $variables). */
    public record Rewrite(Pattern regex, Template replacement) implements Action {
    }

    public record Deny(int status) implements Action {
        @Override
        public boolean terminal() {
            return true;
        }
    }

    public record Redirect(int status, Template location) implements Action {
        @Override
        public boolean terminal() {
            return true;
        }
    }

    /** A fixed answer: a body given inline or read from a file when the config is loaded. */
    public record Return(int status, String contentType, byte[] body) implements Action {
        @Override
        public boolean terminal() {
            return true;
        }
    }

    /** A backend by name, or (backend null) the value of a map whose values are all backend names. */
    /** The request counts against a limit; over it, it is answered (429 with Retry-After by default). */
    public record ApplyLimit(String limit) implements Action {
    }

    /** HTTP basic auth against a user list (HAProxy: http-request auth with a userlist; nginx: auth_basic). */
    public record RequireAuth(String users) implements Action {
    }

    public record UseBackend(String backend, String map) implements Action {
        @Override
        public boolean terminal() {
            return true;
        }
    }

    /**
     * X-Request-ID: taken from the client when trusted (and well formed), else made; sent to the backend,
     * written to the access log as $request_id, echoed in the response.
     */
    public record RequestId(boolean enabled, String header, boolean trustClient, boolean echo) {
        public static final RequestId OFF = new RequestId(false, "X-Request-ID", false, true);
    }
}
