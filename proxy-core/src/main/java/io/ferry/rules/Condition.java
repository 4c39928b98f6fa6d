package io.ferry.rules;

import io.ferry.config.Cidr;
import io.ferry.config.MapTable;
import io.ferry.config.RulesConfig;
import io.ferry.http.Cookies;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** A compiled {@link RulesConfig.When}: tested on a request, and for response rules on its response. */
@FunctionalInterface
interface Condition {
    /** @param response null for request rules */
    boolean test(RequestFacts request, ResponseFacts response);

    static Condition compile(RulesConfig.When when, Map<String, MapTable> maps) {
        if (when instanceof RulesConfig.All all) {
            Condition[] of = all.of().stream().map(w -> compile(w, maps)).toArray(Condition[]::new);
            return (q, r) -> {
                for (Condition c : of) {
                    if (!c.test(q, r)) {
                        return false;
                    }
                }
                return true;
            };
        }
        if (when instanceof RulesConfig.Any any) {
            Condition[] of = any.of().stream().map(w -> compile(w, maps)).toArray(Condition[]::new);
            return (q, r) -> {
                for (Condition c : of) {
                    if (c.test(q, r)) {
                        return true;
                    }
                }
                return false;
            };
        }
        if (when instanceof RulesConfig.Not not) {
            Condition of = compile(not.of(), maps);
            return (q, r) -> !of.test(q, r);
        }
        if (when instanceof RulesConfig.Host host) {
            return hosts(host.hosts());
        }
        if (when instanceof RulesConfig.Path path) {
            return paths(path);
        }
        if (when instanceof RulesConfig.Method method) {
            Set<String> methods = Set.copyOf(method.methods());
            return (q, r) -> methods.contains(q.method());
        }
        if (when instanceof RulesConfig.Field field) {
            return field(field);
        }
        if (when instanceof RulesConfig.Network network) {
            List<Cidr> nets = network.networks();
            return (q, r) -> q.clientAddress() != null && Cidr.anyContains(nets, q.clientAddress());
        }
        if (when instanceof RulesConfig.InMap in) {
            Renderer.Lookup[] lookups = in.maps().stream().map(n -> Renderer.lookup(maps.get(n))).toArray(Renderer.Lookup[]::new);
            return (q, r) -> {
                for (Renderer.Lookup l : lookups) {
                    String v = l.value(q, r);
                    if (v != null && !v.isEmpty()) {
                        return true;
                    }
                }
                return false;
            };
        }
        if (when instanceof RulesConfig.Listener listener) {
            Set<String> names = Set.copyOf(listener.names());
            return (q, r) -> names.contains(q.listener());
        }
        if (when instanceof RulesConfig.Tls tls) {
            boolean want = tls.tls();
            return (q, r) -> q.tls() == want;
        }
        if (when instanceof RulesConfig.Status status) {
            Set<Integer> codes = Set.copyOf(status.codes());
            Set<Integer> classes = Set.copyOf(status.classes());
            return (q, r) -> r != null && (codes.contains(r.status()) || classes.contains(r.status() / 100));
        }
        if (when instanceof RulesConfig.ContentType type) {
            String[] prefixes = type.prefixes().toArray(String[]::new);
            return (q, r) -> {
                String ct = r == null ? null : r.contentType();
                if (ct == null) {
                    return false;
                }
                for (String p : prefixes) {
                    if (ct.regionMatches(true, 0, p, 0, p.length())) {
                        return true;
                    }
                }
                return false;
            };
        }
        throw new IllegalArgumentException("unknown condition " + when);
    }

    private static Condition hosts(List<String> hosts) {
        Set<String> exact = new java.util.HashSet<>();
        List<String> suffixes = new java.util.ArrayList<>();
        for (String h : hosts) {
            if (h.startsWith("*.")) {
                suffixes.add(h.substring(1)); // ".example.org"
            } else {
                exact.add(h);
            }
        }
        String[] sfx = suffixes.toArray(String[]::new);
        return (q, r) -> {
            String host = q.host();
            if (host == null) {
                return false;
            }
            if (exact.contains(host)) {
                return true;
            }
            for (String s : sfx) {
                if (host.endsWith(s)) {
                    return true;
                }
            }
            return false;
        };
    }

    private static Condition paths(RulesConfig.Path path) {
        return switch (path.match()) {
            case EXACT -> {
                Set<String> values = Set.copyOf(path.values());
                yield (q, r) -> values.contains(q.path());
            }
            case PREFIX -> {
                String[] prefixes = path.values().toArray(String[]::new);
                yield (q, r) -> {
                    String p = q.path();
                    for (String prefix : prefixes) {
                        if (p.startsWith(prefix)) {
                            return true;
                        }
                    }
                    return false;
                };
            }
            case REGEX -> {
                Matchers regex = new Matchers(path.regex());
                yield (q, r) -> regex.find(q.path());
            }
        };
    }

    private static Condition field(RulesConfig.Field f) {
        String name = f.name();
        java.util.function.BiFunction<RequestFacts, String, String> read = switch (f.kind()) {
            case HEADER -> RequestFacts::header;
            case COOKIE -> (q, n) -> Cookies.value(q.header("cookie"), n);
            case ARG -> (q, n) -> Fields.arg(q.uri(), n);
        };
        String equals = f.equals();
        Pattern regex = f.regex();
        if (equals != null) {
            return (q, r) -> equals.equals(read.apply(q, name));
        }
        if (regex != null) {
            Matchers matchers = new Matchers(regex);
            return (q, r) -> {
                String v = read.apply(q, name);
                return v != null && matchers.find(v);
            };
        }
        return (q, r) -> read.apply(q, name) != null;
    }
}
