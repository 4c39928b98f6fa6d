package io.ferry.rules;

import io.ferry.config.MapTable;
import io.ferry.config.Template;
import io.ferry.http.Cookies;
import java.util.Map;
import java.util.regex.MatchResult;

/** A compiled {@link Template}: its $variables read from the request (and response, and a rewrite's groups). */
final class Renderer {
    private enum Var { REMOTE_ADDR, HOST, REQUEST_URI, URI, ARGS, SCHEME, METHOD, REQUEST_ID, STATUS, HTTP, COOKIE, ARG, MAP, GROUP }

    private final String constant;
    private final Var[] vars;
    private final String[] texts; // the literal, or the variable's argument (header name, group number)
    private final Lookup[] lookups; // $map_NAME: the map and the renderer of its key

    /** A map and its key, as a template looks it up. */
    record Lookup(MapTable table, Renderer key) {
        String value(RequestFacts q, ResponseFacts r) {
            return table.lookup(key.render(q, r, null));
        }
    }

    static Lookup lookup(MapTable table) {
        return new Lookup(table, new Renderer(table.key(), Map.of()));
    }

    Renderer(Template t, Map<String, MapTable> maps) {
        this.constant = t.constant() ? t.parts().stream().map(Template.Part::literal).reduce("", String::concat) : null;
        int n = t.parts().size();
        vars = new Var[n];
        texts = new String[n];
        lookups = new Lookup[n];
        for (int i = 0; i < n; i++) {
            Template.Part p = t.parts().get(i);
            if (p.variable() == null) {
                texts[i] = p.literal();
                continue;
            }
            String v = p.variable();
            if (Character.isDigit(v.charAt(0))) {
                vars[i] = Var.GROUP;
                texts[i] = v;
            } else if (v.startsWith("http_")) {
                vars[i] = Var.HTTP;
                texts[i] = v.substring(5).replace('_', '-');
            } else if (v.startsWith("cookie_")) {
                vars[i] = Var.COOKIE;
                texts[i] = v.substring(7);
            } else if (v.startsWith("map_")) {
                vars[i] = Var.MAP;
                lookups[i] = lookup(maps.get(v.substring(4)));
            } else if (v.startsWith("arg_")) {
                vars[i] = Var.ARG;
                texts[i] = v.substring(4);
            } else {
                vars[i] = switch (v) {
                    case "remote_addr" -> Var.REMOTE_ADDR;
                    case "host" -> Var.HOST;
                    case "request_uri" -> Var.REQUEST_URI;
                    case "uri" -> Var.URI;
                    case "args" -> Var.ARGS;
                    case "scheme" -> Var.SCHEME;
                    case "request_method" -> Var.METHOD;
                    case "request_id" -> Var.REQUEST_ID;
                    case "status" -> Var.STATUS;
                    default -> throw new IllegalArgumentException("unknown variable $" + v);
                };
            }
        }
    }

    /**
     * @param response null for request rules ($status is then empty)
     * @param groups   a rewrite's match, or null
     */
    String render(RequestFacts q, ResponseFacts response, MatchResult groups) {
        if (constant != null) {
            return constant;
        }
        if (vars.length == 1) { // "$uri", "$host": the value itself, no copy
            String value = value(0, q, response, groups);
            return value == null ? "" : value;
        }
        StringBuilder sb = new StringBuilder(64);
        for (int i = 0; i < vars.length; i++) {
            Var v = vars[i];
            if (v == null) {
                sb.append(texts[i]);
                continue;
            }
            String value = value(i, q, response, groups);
            if (value != null) {
                sb.append(value);
            }
        }
        return sb.toString();
    }

    private String value(int i, RequestFacts q, ResponseFacts response, MatchResult groups) {
        Var v = vars[i];
        if (v == null) {
            return texts[i];
        }
        return switch (v) {
                case REMOTE_ADDR -> q.clientIp();
                case HOST -> q.host();
                case REQUEST_URI -> q.uri();
                case URI -> q.path();
                case ARGS -> Fields.query(q.uri());
                case SCHEME -> q.tls() ? "https" : "http";
                case METHOD -> q.method();
                case REQUEST_ID -> q.requestId();
                case STATUS -> response == null ? null : Integer.toString(response.status());
                case HTTP -> q.header(texts[i]);
                case COOKIE -> Cookies.value(q.header("cookie"), texts[i]);
                case ARG -> Fields.arg(q.uri(), texts[i]);
                case MAP -> lookups[i].value(q, response);
                case GROUP -> {
                    int g = texts[i].charAt(0) - '0';
                    yield groups != null && g <= groups.groupCount() ? groups.group(g) : null;
                }
            };
    }
}
