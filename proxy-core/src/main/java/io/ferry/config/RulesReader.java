package io.ferry.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.ferry.config.RulesConfig.Action;
import io.ferry.config.RulesConfig.When;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code ferry.rules}: {@code request = [ ... ]}, {@code response = [ ... ]} and {@code request-id}.
 * Each rule is an object with an optional {@code if { ... }} or {@code unless { ... }} (HAProxy's words)
 * and one or more actions. Every problem is a one-line error naming the key.
 */
final class RulesReader {
    private static final Set<String> REQUEST_ACTIONS = Set.of("set-header", "add-header", "del-header", "rewrite",
            "limit", "auth", "deny", "redirect", "return", "use-backend");
    private static final Set<String> RESPONSE_ACTIONS = Set.of("set-header", "add-header", "del-header");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private final Path baseDir;
    private final Set<String> backends;
    private Map<String, MapTable> maps = Map.of();
    private Map<String, RulesConfig.Limit> limits = Map.of();
    private Map<String, RulesConfig.Users> users = Map.of();

    RulesReader(Path baseDir, Set<String> backends) {
        this.baseDir = baseDir;
        this.backends = backends;
    }

    RulesConfig read(Section s) {
        maps = maps(s.section("maps"));
        limits = limits(s.section("limits"));
        users = users(s.section("auth"));
        List<RulesConfig.Rule> request = rules(s, "request", true);
        List<RulesConfig.Rule> response = rules(s, "response", false);
        Section id = s.section("request-id");
        boolean enabled = id.bool("enabled", false);
        String header = id.string("header", "X-Request-ID");
        if (!TOKEN.matcher(header).matches()) {
            throw id.error("header", "must be a header name; got \"" + header + '"');
        }
        boolean trust = id.bool("trust-client", false);
        boolean echo = id.bool("echo", true);
        id.rejectUnknownKeys();
        Section errorPages = s.section("error-pages");
        boolean intercept = errorPages.bool("intercept-backend", false);
        Map<Integer, RulesConfig.ErrorPage> pages = errorPages(errorPages);
        s.rejectUnknownKeys();
        return new RulesConfig(List.copyOf(request), List.copyOf(response),
                new RulesConfig.RequestId(enabled, header, trust, echo), maps, pages, intercept, limits, users);
    }

    /** {@code auth { NAME { file = "htpasswd", realm = "..." } }}: htpasswd files of bcrypt hashes (htpasswd -B). */
    private Map<String, RulesConfig.Users> users(Section s) {
        Map<String, RulesConfig.Users> out = new LinkedHashMap<>();
        for (String name : s.keys()) {
            Section a = s.section(name);
            Path file = a.readableFile("file", baseDir);
            if (file == null) {
                throw a.error("file", "missing: an htpasswd file with bcrypt hashes (htpasswd -B -c FILE USER)");
            }
            String realm = a.string("realm", "Restricted");
            if (realm.indexOf('"') >= 0 || realm.chars().anyMatch(c -> c < 0x20)) {
                throw a.error("realm", "no quotes or control characters in a realm");
            }
            Map<String, String> byUser = new LinkedHashMap<>();
            try {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (line.isEmpty() || line.startsWith("#")) {
                        continue;
                    }
                    int colon = line.indexOf(':');
                    String hash = colon < 0 ? "" : line.substring(colon + 1);
                    if (colon <= 0 || !hash.matches("\\$2[abxy]?\\$\\d{2}\\$[./A-Za-z0-9]{53}")) {
                        throw a.error("file", file + " line " + (i + 1) + ": expected user:bcrypt-hash (htpasswd -B);"
                                + " other hash kinds (MD5 apr1, SHA, crypt) are not accepted");
                    }
                    byUser.put(line.substring(0, colon), hash);
                }
            } catch (IOException e) {
                throw a.error("file", "cannot read " + file + ": " + e.getMessage());
            }
            a.rejectUnknownKeys();
            out.put(name, new RulesConfig.Users(name, file, realm, Map.copyOf(byUser)));
        }
        s.rejectUnknownKeys();
        return Map.copyOf(out);
    }

    /** {@code limits { NAME { rate = 10, per = 1s, burst = 20, key = "$remote_addr", table-size, status } }}. */
    private Map<String, RulesConfig.Limit> limits(Section s) {
        Map<String, RulesConfig.Limit> out = new LinkedHashMap<>();
        for (String name : s.keys()) {
            Section l = s.section(name);
            if (l.has("rate") == l.has("concurrent")) {
                throw l.error("rate", "a limit has a rate (requests per `per`, e.g. rate = 10) or a number of"
                        + " concurrent requests (concurrent = 10), one of the two");
            }
            int concurrent = l.integer("concurrent", 0, 1, 1_000_000);
            int rate = l.has("rate") ? l.integer("rate", 1, 1, 1_000_000) : 0;
            java.time.Duration per = l.duration("per", java.time.Duration.ofSeconds(1));
            int burst = l.integer("burst", 0, 0, 1_000_000);
            Template key = plainTemplate(l, "key", "$remote_addr");
            int size = l.integer("table-size", 100_000, 1, 100_000_000);
            int status = l.integer("status", 429, 400, 599);
            l.rejectUnknownKeys();
            out.put(name, new RulesConfig.Limit(name, rate, per, burst, key, size, status, concurrent));
        }
        s.rejectUnknownKeys();
        return Map.copyOf(out);
    }

    /** {@code error-pages { 503 = "errors/503.html", content-type = "text/html; charset=utf-8" }}. */
    private Map<Integer, RulesConfig.ErrorPage> errorPages(Section s) {
        String type = s.string("content-type", "text/html; charset=utf-8");
        Map<Integer, RulesConfig.ErrorPage> pages = new java.util.HashMap<>();
        for (String key : s.keys()) {
            if (key.equals("content-type") || key.equals("intercept-backend")) {
                continue;
            }
            if (!key.matches("[45][0-9][0-9]")) {
                s.has(key);
                throw s.error(key, "expected a status from 400 to 599 with its page's file, e.g. 503 = \"errors/503.html\"");
            }
            Path file = s.readableFile(key, baseDir);
            try {
                pages.put(Integer.parseInt(key), new RulesConfig.ErrorPage(Integer.parseInt(key), type, Files.readAllBytes(file)));
            } catch (IOException e) {
                throw s.error(key, "cannot read " + file + ": " + e.getMessage());
            }
        }
        s.rejectUnknownKeys();
        return Map.copyOf(pages);
    }

    /** {@code maps { NAME { file, key = "$uri", default } }}: each file read now, into a hash table. */
    private Map<String, MapTable> maps(Section s) {
        Map<String, MapTable> tables = new LinkedHashMap<>();
        for (String name : s.keys()) {
            Section m = s.section(name);
            if (!name.matches("[A-Za-z0-9_]+")) {
                throw s.error(name, "a map's name is letters, digits and _ (it is used as $map_" + name + ")");
            }
            Path file = m.readableFile("file", baseDir);
            if (file == null) {
                throw m.error("file", "missing: the map's file (HAProxy map or nginx map lines: key value)");
            }
            Template key = plainTemplate(m, "key", "$uri");
            String defaultValue = m.string("default", null);
            Map<String, String> entries;
            try {
                entries = MapTable.read(file);
            } catch (IOException e) {
                throw m.error("file", file + ": " + e.getMessage());
            }
            m.rejectUnknownKeys();
            tables.put(name, new MapTable(name, file, key, Map.copyOf(entries), defaultValue));
        }
        s.rejectUnknownKeys();
        return Map.copyOf(tables);
    }

    /** A template without $map_ variables (a map's own key). */
    private static Template plainTemplate(Section s, String key, String defaultText) {
        String text = s.string(key, defaultText);
        Template t;
        try {
            t = Template.parse(text, false);
        } catch (IllegalArgumentException e) {
            throw s.error(key, e.getMessage());
        }
        for (Template.Part p : t.parts()) {
            if (p.variable() != null && p.variable().startsWith("map_")) {
                throw s.error(key, "a map's key cannot use another map");
            }
        }
        return t;
    }

    private List<RulesConfig.Rule> rules(Section parent, String key, boolean onRequest) {
        List<ConfigValue> values = parent.list(key);
        List<RulesConfig.Rule> rules = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            String path = parent.keyPath(key) + "[" + i + "]";
            rules.add(rule(element(values.get(i), path), onRequest));
        }
        return rules;
    }

    private RulesConfig.Rule rule(Section s, boolean onRequest) {
        String name = s.string("name", s.path());
        When when = null;
        if (s.has("if") && s.has("unless")) {
            throw s.error("unless", "a rule has if or unless, not both");
        }
        if (s.has("if")) {
            when = condition(s.section("if"), onRequest);
        } else if (s.has("unless")) {
            when = new RulesConfig.Not(condition(s.section("unless"), onRequest));
        }
        List<Action> actions = new ArrayList<>();
        Set<String> allowed = onRequest ? REQUEST_ACTIONS : RESPONSE_ACTIONS;
        String terminal = null;
        for (String key : s.keys()) {
            if (key.equals("if") || key.equals("unless") || key.equals("name")) {
                continue;
            }
            if (!allowed.contains(key)) {
                s.has(key);
                throw s.error(key, "unknown " + (onRequest ? "request" : "response") + " rule action; known: "
                        + String.join(", ", allowed.stream().sorted().toList()));
            }
            List<Action> these = action(s, key);
            Action a = these.get(0);
            if (a.terminal()) {
                if (terminal != null) {
                    throw s.error(key, "a rule ends with one of deny, redirect, return and use-backend; this one has "
                            + terminal + " and " + key);
                }
                terminal = key;
            }
            actions.addAll(these);
        }
        if (actions.isEmpty()) {
            throw new ConfigError(s.path(), "a rule needs an action: " + String.join(", ", allowed.stream().sorted().toList()));
        }
        // the answer or choice comes last, after the header edits of the same rule
        actions.sort((a, b) -> Boolean.compare(a.terminal(), b.terminal()));
        s.rejectUnknownKeys();
        return new RulesConfig.Rule(name, when, List.copyOf(actions));
    }

    private List<Action> action(Section s, String key) {
        if (key.equals("set-header") || key.equals("add-header")) {
            Section h = s.section(key);
            List<Action> list = new ArrayList<>();
            for (String name : h.keys()) {
                String quoted = '"' + name + '"';
                h.has(quoted);
                if (!TOKEN.matcher(name).matches()) {
                    throw h.error(quoted, "not a header name");
                }
                Template value = template(h, quoted, false);
                list.add(key.equals("set-header") ? new RulesConfig.SetHeader(name, value)
                        : new RulesConfig.AddHeader(name, value));
            }
            if (list.isEmpty()) {
                throw s.error(key, "names no header: " + key + " { Name = \"value\" }");
            }
            return list;
        }
        if (key.equals("del-header")) {
            List<Action> list = new ArrayList<>();
            for (String name : s.stringList(key, List.of())) {
                if (!TOKEN.matcher(name).matches()) {
                    throw s.error(key, "not a header name: \"" + name + '"');
                }
                list.add(new RulesConfig.DelHeader(name));
            }
            if (list.isEmpty()) {
                throw s.error(key, "names no header");
            }
            return list;
        }
        return List.of(oneAction(s, key));
    }

    private Action oneAction(Section s, String key) {
        switch (key) {
            case "rewrite" -> {
                Section r = s.section(key);
                Pattern regex = r.regex("regex", "^(.*)$");
                Template replacement = template(r, "replace", true);
                r.rejectUnknownKeys();
                return new RulesConfig.Rewrite(regex, replacement);
            }
            case "deny" -> {
                int status = s.integer(key, 403, 400, 599);
                return new RulesConfig.Deny(status);
            }
            case "redirect" -> {
                Section r = s.section(key);
                int status = r.integer("status", 302, 300, 399);
                Template location = template(r, "location", false);
                r.rejectUnknownKeys();
                return new RulesConfig.Redirect(status, location);
            }
            case "return" -> {
                Section r = s.section(key);
                int status = r.integer("status", 200, 200, 599);
                String type = r.string("content-type", "text/plain; charset=utf-8");
                if (type.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    throw r.error("content-type", "no control characters in a header value");
                }
                if (r.has("body") && r.has("file")) {
                    throw r.error("file", "a return has body or file, not both");
                }
                byte[] body;
                if (r.has("file")) {
                    Path file = r.readableFile("file", baseDir);
                    try {
                        body = Files.readAllBytes(file);
                    } catch (IOException e) {
                        throw r.error("file", "cannot read " + file + ": " + e.getMessage());
                    }
                } else {
                    body = r.string("body", "").getBytes(StandardCharsets.UTF_8);
                }
                r.rejectUnknownKeys();
                return new RulesConfig.Return(status, type, body);
            }
            case "limit" -> {
                String name = s.requiredString(key);
                defined(s, key, "limit", name, limits, "rules.limits");
                return new RulesConfig.ApplyLimit(name);
            }
            case "auth" -> {
                String name = s.requiredString(key);
                defined(s, key, "user list", name, users, "rules.auth");
                return new RulesConfig.RequireAuth(name);
            }
            case "use-backend" -> {
                String backend = s.requiredString(key);
                if (backend.startsWith("$map_")) { // host -> backend and the like: every value must name one
                    String map = backend.substring(5);
                    MapTable table = defined(s, key, "map", map, maps, "rules.maps");
                    for (String v : table.entries().values()) {
                        if (!backends.contains(v)) {
                            throw s.error(key, "map " + map + " names a backend that does not exist: \"" + v + '"');
                        }
                    }
                    if (table.defaultValue() != null && !backends.contains(table.defaultValue())) {
                        throw s.error(key, "map " + map + "'s default is not a backend: \"" + table.defaultValue() + '"');
                    }
                    return new RulesConfig.UseBackend(null, map);
                }
                if (!backends.contains(backend)) {
                    throw s.error(key, "no backend named \"" + backend + "\" (defined: "
                            + String.join(", ", backends.stream().sorted().toList()) + ")");
                }
                return new RulesConfig.UseBackend(backend, null);
            }
            default -> throw new IllegalStateException(key);
        }
    }

    private Template template(Section s, String key, boolean groups) {
        String text = s.requiredString(key);
        if (text.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
            throw s.error(key, "a header value or location cannot hold CR, LF or NUL (it would split the message)");
        }
        Template t;
        try {
            t = Template.parse(text, groups);
        } catch (IllegalArgumentException e) {
            throw s.error(key, e.getMessage());
        }
        for (Template.Part p : t.parts()) {
            if (p.variable() != null && p.variable().startsWith("map_")) {
                defined(s, key, "map", p.variable().substring(4), maps, "rules.maps");
            }
        }
        return t;
    }

    /** What {@code name} stands for among {@code defined}; else an error naming the key and what is defined. */
    private static <T> T defined(Section s, String key, String what, String name, Map<String, T> defined, String section) {
        T found = defined.get(name);
        if (found == null) {
            throw s.error(key, "no " + what + " named " + name + " (" + section + " defines: "
                    + String.join(", ", defined.keySet().stream().sorted().toList()) + ")");
        }
        return found;
    }

    /** The keys of one condition object all hold (and); any, all and not combine them further. */
    private When condition(Section s, boolean onRequest) {
        List<When> all = new ArrayList<>();
        for (String key : s.keys()) {
            all.add(switch (key) {
                case "host" -> {
                    List<String> hosts = s.stringList(key, List.of());
                    yield new RulesConfig.Host(hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList());
                }
                case "path" -> new RulesConfig.Path(RulesConfig.Match.EXACT, paths(s, key), null);
                case "path-prefix" -> new RulesConfig.Path(RulesConfig.Match.PREFIX, paths(s, key), null);
                case "path-regex" -> new RulesConfig.Path(RulesConfig.Match.REGEX, List.of(), s.regex(key, null));
                case "method" -> new RulesConfig.Method(s.stringList(key, List.of()).stream()
                        .map(m -> m.toUpperCase(Locale.ROOT)).toList());
                case "header" -> field(s, key, RulesConfig.FieldKind.HEADER);
                case "cookie" -> field(s, key, RulesConfig.FieldKind.COOKIE);
                case "arg" -> field(s, key, RulesConfig.FieldKind.ARG);
                case "network" -> new RulesConfig.Network(s.networks(key, List.of()).stream().map(Cidr::parse).toList());
                case "tls" -> new RulesConfig.Tls(s.bool(key, true));
                case "listener" -> new RulesConfig.Listener(s.stringList(key, List.of()));
                case "map" -> {
                    List<String> names = s.stringList(key, List.of());
                    for (String n : names) {
                        defined(s, key, "map", n, maps, "rules.maps");
                    }
                    yield new RulesConfig.InMap(names);
                }
                case "status" -> status(s, key, onRequest);
                case "content-type" -> {
                    if (onRequest) {
                        throw s.error(key, "is a condition of response rules");
                    }
                    yield new RulesConfig.ContentType(s.stringList(key, List.of()).stream()
                            .map(t -> t.toLowerCase(Locale.ROOT)).toList());
                }
                case "not" -> new RulesConfig.Not(condition(s.section(key), onRequest));
                case "all", "any" -> {
                    List<ConfigValue> values = s.list(key);
                    List<When> of = new ArrayList<>();
                    for (int i = 0; i < values.size(); i++) {
                        of.add(condition(element(values.get(i), s.keyPath(key) + "[" + i + "]"), onRequest));
                    }
                    if (of.isEmpty()) {
                        throw s.error(key, "needs at least one condition");
                    }
                    yield key.equals("all") ? new RulesConfig.All(of) : new RulesConfig.Any(of);
                }
                default -> {
                    s.has(key);
                    throw s.error(key, "unknown condition; known: host, path, path-prefix, path-regex, method, header,"
                            + " cookie, arg, network, tls, listener, map, not, all, any" + (onRequest ? "" : ", status, content-type"));
                }
            });
        }
        if (all.isEmpty()) {
            throw new ConfigError(s.path(), "an empty condition; leave out if/unless for a rule that always applies");
        }
        return all.size() == 1 ? all.get(0) : new RulesConfig.All(List.copyOf(all));
    }

    private static List<String> paths(Section s, String key) {
        List<String> paths = s.stringList(key, List.of());
        for (String p : paths) {
            if (!p.startsWith("/")) {
                throw s.error(key, "a path starts with /; got \"" + p + '"');
            }
        }
        return paths;
    }

    /** {@code header = "X-Debug"} (present), or {@code header { name = X-Debug, equals = "1" }} / {@code regex}. */
    private static When field(Section s, String key, RulesConfig.FieldKind kind) {
        if (!s.has(key)) {
            throw s.error(key, "missing");
        }
        Section f;
        try {
            String name = s.string(key, null);
            return new RulesConfig.Field(kind, name, null, null);
        } catch (ConfigError notAString) {
            f = s.section(key);
        }
        String name = f.requiredString("name");
        String equals = f.string("equals", null);
        Pattern regex = f.has("regex") ? f.regex("regex", null) : null;
        if (equals != null && regex != null) {
            throw f.error("regex", "equals or regex, not both");
        }
        f.rejectUnknownKeys();
        return new RulesConfig.Field(kind, name, equals, regex);
    }

    private static When status(Section s, String key, boolean onRequest) {
        if (onRequest) {
            throw s.error(key, "is a condition of response rules");
        }
        List<Integer> codes = new ArrayList<>();
        List<Integer> classes = new ArrayList<>();
        for (String v : s.stringList(key, List.of())) {
            if (v.matches("[1-5]xx")) {
                classes.add(v.charAt(0) - '0');
            } else if (v.matches("[1-5][0-9][0-9]")) {
                codes.add(Integer.parseInt(v));
            } else {
                throw s.error(key, "expected status codes such as 404 or classes such as 5xx; got \"" + v + '"');
            }
        }
        return new RulesConfig.Status(List.copyOf(codes), List.copyOf(classes));
    }

    private static Section element(ConfigValue value, String key) {
        if (value.valueType() != ConfigValueType.OBJECT) {
            throw new ConfigError(key, "expected an object { ... }, got " + value.valueType().name().toLowerCase(Locale.ROOT));
        }
        return Section.of((ConfigObject) value, key);
    }
}
