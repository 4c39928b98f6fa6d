package io.ferry.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.ferry.balance.BalanceAlgorithm;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code ferry.conf} (HOCON) into a {@link FerryConfig}, applying defaults and checking every key.
 *
 * <p>Values may be overridden by Java system properties ({@code -Dferry.timeouts.server=30s}) and by
 * environment variables in typesafe-config's {@code CONFIG_FORCE_} form
 * ({@code CONFIG_FORCE_ferry_timeouts_server=30s}); the file may also use {@code ${?ENV_VAR}}.
 */
public final class ConfigLoader {
    static final Duration DEFAULT_CONNECT = Duration.ofMillis(3500);
    static final Duration DEFAULT_SERVER = Duration.ofSeconds(60);

    private ConfigLoader() {
    }

    public static FerryConfig load(Path file) {
        if (!Files.isReadable(file)) {
            throw new ConfigError(file.toString(), "config file not found or not readable");
        }
        Config parsed;
        try {
            parsed = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
        } catch (ConfigException e) {
            throw new ConfigError(file.toString(), "cannot parse: " + e.getMessage());
        }
        return fromConfig(parsed, file.toString(), file.toAbsolutePath().getParent());
    }

    /** Parses config text; relative paths (certificates) resolve against {@code baseDir}. */
    public static FerryConfig parse(String text, Path baseDir) {
        Config parsed;
        try {
            parsed = ConfigFactory.parseString(text, ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.CONF).setOriginDescription("config"));
        } catch (ConfigException e) {
            throw new ConfigError("config", "cannot parse: " + e.getMessage());
        }
        return fromConfig(parsed, "config", baseDir);
    }

    private static FerryConfig fromConfig(Config fileConfig, String source, Path baseDir) {
        Config merged;
        try {
            ConfigFactory.invalidateCaches(); // pick up system properties set since the last load
            merged = ConfigFactory.systemEnvironmentOverrides()
                    .withFallback(ConfigFactory.systemProperties())
                    .withFallback(fileConfig)
                    .resolve();
        } catch (ConfigException e) {
            throw new ConfigError(source, e.getMessage());
        }
        Section root = new Section(merged, "");
        if (!root.has("ferry")) {
            throw new ConfigError("ferry", "missing: the config must have a top-level ferry { ... } object");
        }
        Section ferry = root.section("ferry");
        String rendered = redacted(merged.getConfig("ferry"));
        FerryConfig config = new Reader(ferry, source, baseDir, rendered).read();
        ferry.rejectUnknownKeys();
        return config;
    }

    private static String redacted(Config ferry) {
        Config c = ferry;
        if (c.hasPath("admin.token")) {
            c = c.withValue("admin.token", com.typesafe.config.ConfigValueFactory.fromAnyRef("(redacted)"));
        }
        return c.root().render(com.typesafe.config.ConfigRenderOptions.concise().setFormatted(true));
    }

    /** Reads one config; split out so that helper methods share the base directory. */
    private static final class Reader {
        private final Section ferry;
        private final String source;
        private final Path baseDir;
        private final String rendered;

        Reader(Section ferry, String source, Path baseDir, String rendered) {
            this.ferry = ferry;
            this.source = source;
            this.baseDir = baseDir;
            this.rendered = rendered;
        }

        FerryConfig read() {
            GlobalSettings global = global(ferry.section("global"));
            Timeouts timeouts = timeouts(ferry.section("timeouts"));
            Limits limits = limits(ferry.section("limits"));
            List<ListenerConfig> listeners = listeners();
            Map<String, BackendConfig> backends = backends(timeouts);
            List<RouteConfig> routes = routes(backends);
            CacheConfig cache = cache(ferry.section("cache"));
            AdminConfig admin = admin(ferry.section("admin"));
            AccessLogConfig accessLog = accessLog(ferry.section("access-log"));
            DemoConfig demo = demo(ferry.section("demo"));
            return new FerryConfig(source, global, List.copyOf(listeners), timeouts, limits,
                    Map.copyOf(backends), List.copyOf(routes), cache, admin, accessLog, demo, rendered);
        }

        private GlobalSettings global(Section s) {
            int ioThreads = s.integer("io-threads", 0, 0, 1024);
            String transportName = s.string("transport", "auto");
            TransportKind transport = TransportKind.parse(transportName);
            if (transport == null) {
                throw s.error("transport", "must be one of auto, io_uring, epoll, nio; got \"" + transportName + '"');
            }
            int maxConnections = s.integer("max-connections", 10_000, 1, 10_000_000);
            String via = s.string("via", "ferry");
            if (!via.matches("[A-Za-z0-9._-]+")) {
                throw s.error("via", "must be a single token such as ferry or edge-1; got \"" + via + '"');
            }
            s.rejectUnknownKeys();
            return new GlobalSettings(ioThreads, transport, maxConnections, via);
        }

        private Timeouts timeouts(Section s) {
            Timeouts t = new Timeouts(
                    s.duration("connect", DEFAULT_CONNECT),
                    s.duration("server", DEFAULT_SERVER),
                    s.duration("client", Duration.ofSeconds(60)),
                    s.duration("http-request", Duration.ofSeconds(10)),
                    s.duration("http-keep-alive", Duration.ofSeconds(10)),
                    s.duration("queue", Duration.ofSeconds(5)),
                    s.duration("tunnel", Duration.ofHours(1)),
                    s.duration("shutdown", Duration.ofSeconds(30)));
            s.rejectUnknownKeys();
            return t;
        }

        private Limits limits(Section s) {
            Limits l = new Limits(
                    (int) s.bytes("max-request-line", 8 * 1024, 64, 1024 * 1024),
                    (int) s.bytes("max-header-size", 32 * 1024, 256, 16 * 1024 * 1024),
                    s.integer("max-headers", 100, 1, 10_000),
                    s.bytes("max-body-size", 100L * 1024 * 1024, 0, Long.MAX_VALUE),
                    s.bytes("max-replay-body", 64 * 1024, 0, 64L * 1024 * 1024));
            s.rejectUnknownKeys();
            return l;
        }

        private List<ListenerConfig> listeners() {
            List<ConfigValue> values = ferry.list("listeners");
            if (values.isEmpty()) {
                throw new ConfigError("ferry.listeners", "at least one listener is required");
            }
            List<ListenerConfig> listeners = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (int i = 0; i < values.size(); i++) {
                Section s = element(values.get(i), "ferry.listeners[" + i + "]");
                String bind = s.string("bind", "0.0.0.0");
                int port = s.integer("port", -1, 0, 65535);
                if (port < 0) {
                    throw new ConfigError(s.keyPath("port"), "is required");
                }
                String name = s.string("name", bind + ":" + port);
                if (!names.add(name)) {
                    throw s.error("name", "duplicate listener name \"" + name + '"');
                }
                int backlog = s.integer("backlog", 1024, 1, 65535);
                boolean reuseAddress = s.bool("reuse-address", true);
                boolean noDelay = s.bool("tcp-nodelay", true);
                TlsConfig tls = s.has("tls") ? tls(s.section("tls")) : null;
                s.rejectUnknownKeys();
                listeners.add(new ListenerConfig(name, bind, port, backlog, reuseAddress, noDelay, tls));
            }
            return listeners;
        }

        private TlsConfig tls(Section s) {
            Path cert = file(s, "cert");
            Path key = file(s, "key");
            if ((cert == null) != (key == null)) {
                throw s.error(cert == null ? "cert" : "key", "cert and key must be given together "
                        + "(or neither, for a generated self-signed certificate)");
            }
            List<String> protocols = s.stringList("protocols", List.of("TLSv1.3", "TLSv1.2"));
            if (protocols.isEmpty()) {
                throw s.error("protocols", "must name at least one of TLSv1.2, TLSv1.3");
            }
            for (String p : protocols) {
                if (!p.equals("TLSv1.2") && !p.equals("TLSv1.3")) {
                    throw s.error("protocols", "only TLSv1.2 and TLSv1.3 are supported; got \"" + p + '"');
                }
            }
            String host = s.string("self-signed-host", "localhost");
            s.rejectUnknownKeys();
            return new TlsConfig(cert, key, List.copyOf(protocols), host, s.path());
        }

        private Path file(Section s, String key) {
            String value = s.string(key, null);
            if (value == null || value.isBlank()) {
                return null;
            }
            Path path = baseDir == null ? Path.of(value) : baseDir.resolve(value);
            if (!Files.isReadable(path)) {
                throw s.error(key, "cannot read file " + path);
            }
            return path;
        }

        private Map<String, BackendConfig> backends(Timeouts timeouts) {
            Section all = ferry.section("backends");
            Map<String, BackendConfig> backends = new LinkedHashMap<>();
            for (String name : all.keys()) {
                Section s = all.section(name);
                backends.put(name, backend(name, s, timeouts));
            }
            all.rejectUnknownKeys();
            if (backends.isEmpty()) {
                throw new ConfigError("ferry.backends", "at least one backend is required");
            }
            return backends;
        }

        private BackendConfig backend(String name, Section s, Timeouts timeouts) {
            String typeName = s.string("type", "http");
            BackendConfig.Type type = switch (typeName) {
                case "http" -> BackendConfig.Type.HTTP;
                case "fastcgi" -> BackendConfig.Type.FASTCGI;
                default -> throw s.error("type", "must be http or fastcgi; got \"" + typeName + '"');
            };
            FastCgiConfig fastcgi = null;
            if (type == BackendConfig.Type.FASTCGI) {
                if (!s.has("fastcgi")) {
                    throw new ConfigError(s.keyPath("fastcgi"), "a fastcgi backend needs fastcgi { document-root = ... }");
                }
                fastcgi = fastcgi(s.section("fastcgi"));
            } else if (s.has("fastcgi")) {
                throw s.error("fastcgi", "only for backends with type = fastcgi");
            }
            int defaultMaxConns = s.integer("max-conns", 0, 0, 1_000_000);
            List<ConfigValue> values = s.list("servers");
            if (values.isEmpty()) {
                throw new ConfigError(s.keyPath("servers"), "a backend needs at least one server");
            }
            List<ServerConfig> servers = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (int i = 0; i < values.size(); i++) {
                String key = s.keyPath("servers") + "[" + i + "]";
                ServerConfig server = server(values.get(i), key, defaultMaxConns);
                if (!names.add(server.name())) {
                    throw new ConfigError(key, "server " + server.name() + " is listed twice");
                }
                servers.add(server);
            }
            String balanceName = s.string("balance", "round-robin");
            BalanceAlgorithm balance = BalanceAlgorithm.parse(balanceName);
            if (balance == null) {
                throw s.error("balance", "must be one of " + BalanceAlgorithm.names() + "; got \"" + balanceName + '"');
            }
            int vnodes = s.integer("hash-vnodes", 160, 1, 10_000);
            boolean preserveHost = s.bool("preserve-host", true);
            Section p = s.section("pool");
            PoolConfig pool = new PoolConfig(
                    p.integer("max-connections", 1024, 1, 1_000_000),
                    p.integer("max-idle", 64, 0, 1_000_000),
                    p.duration("idle-timeout", Duration.ofSeconds(4)));
            p.rejectUnknownKeys();
            int maxQueue = s.integer("max-queue", 1024, 0, 10_000_000);
            int retries = s.integer("retries", 2, 0, 10);
            double budget = s.has("retry-budget") ? share(s, "retry-budget") : 0.2;
            HealthCheckConfig check = s.has("health-check") ? healthCheck(s.section("health-check")) : null;
            PassiveHealthConfig passive = passiveHealth(s.section("passive-health"));
            Section t = s.section("timeouts");
            Duration connect = t.duration("connect", timeouts.connect());
            Duration server = t.duration("server", timeouts.server());
            Duration queue = t.duration("queue", timeouts.queue());
            t.rejectUnknownKeys();
            s.rejectUnknownKeys();
            return new BackendConfig(name, type, List.copyOf(servers), balance, vnodes, preserveHost, pool, maxQueue,
                    retries, budget, check, passive, connect, server, queue, fastcgi);
        }

        private FastCgiConfig fastcgi(Section f) {
            String rootText = f.requiredString("document-root");
            Path root = baseDir == null ? Path.of(rootText) : baseDir.resolve(rootText);
            Path realRoot;
            try {
                realRoot = root.toRealPath();
            } catch (java.io.IOException e) {
                throw f.error("document-root", "no such directory: " + root);
            }
            if (!Files.isDirectory(realRoot)) {
                throw f.error("document-root", "not a directory: " + root);
            }
            String index = f.string("index", "index.php");
            if (index.isEmpty() || index.contains("/")) {
                throw f.error("index", "must be a file name such as index.php; got \"" + index + '"');
            }
            List<String> tryFiles = f.stringList("try-files", List.of("$uri", "$uri/", "=404"));
            if (tryFiles.isEmpty()) {
                throw f.error("try-files", "must list at least one entry");
            }
            for (int i = 0; i < tryFiles.size(); i++) {
                String e = tryFiles.get(i);
                boolean last = i == tryFiles.size() - 1;
                boolean uriForm = e.equals("$uri") || e.equals("$uri/");
                boolean fallback = e.startsWith("/") || e.matches("=[1-5][0-9][0-9]");
                if (!uriForm && !(last && fallback)) {
                    throw f.error("try-files", "entries are $uri or $uri/, and last may be a URI such as "
                            + "/index.php?$args or a status such as =404; got \"" + e + '"');
                }
            }
            String patternText = f.string("script-pattern", "\\.php$");
            java.util.regex.Pattern pattern;
            try {
                pattern = java.util.regex.Pattern.compile(patternText);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw f.error("script-pattern", "not a valid regular expression: " + e.getDescription());
            }
            Map<String, String> params = new java.util.LinkedHashMap<>();
            Section ps = f.section("params");
            for (String key : ps.keys()) {
                params.put(key, ps.string(key, ""));
            }
            boolean symlinks = f.bool("symlinks-outside-root", false);
            long maxBuffered = f.bytes("max-buffered-body", 1024 * 1024, 0, 1L << 30);
            f.rejectUnknownKeys();
            return new FastCgiConfig(realRoot, index, List.copyOf(tryFiles), pattern, Map.copyOf(params), symlinks,
                    maxBuffered);
        }

        private static double share(Section s, String key) {
            String text = s.string(key, "0.2");
            double v;
            try {
                v = Double.parseDouble(text);
            } catch (NumberFormatException e) {
                throw s.error(key, "expected a share between 0 and 1, such as 0.2; got \"" + text + '"');
            }
            if (v < 0 || v > 1) {
                throw s.error(key, "must be between 0 and 1, got " + v);
            }
            return v;
        }

        private static HealthCheckConfig healthCheck(Section h) {
            String method = h.string("method", "GET");
            if (!method.matches("[A-Z]+")) {
                throw h.error("method", "expected an HTTP method such as GET or HEAD; got \"" + method + '"');
            }
            String path = h.string("path", "/");
            if (!path.startsWith("/")) {
                throw h.error("path", "must start with /; got \"" + path + '"');
            }
            String host = h.string("host", null);
            String expect = h.string("expect-status", "200-399");
            int min;
            int max;
            try {
                int dash = expect.indexOf('-');
                min = Integer.parseInt(dash < 0 ? expect.trim() : expect.substring(0, dash).trim());
                max = dash < 0 ? min : Integer.parseInt(expect.substring(dash + 1).trim());
            } catch (NumberFormatException e) {
                throw h.error("expect-status", "expected a status or range such as 200 or 200-399; got \"" + expect + '"');
            }
            if (min < 100 || max > 599 || min > max) {
                throw h.error("expect-status", "must be a range within 100-599; got \"" + expect + '"');
            }
            HealthCheckConfig c = new HealthCheckConfig(method, path, host, min, max,
                    h.duration("interval", Duration.ofSeconds(2)), h.duration("timeout", Duration.ofSeconds(1)),
                    h.integer("rise", 2, 1, 100), h.integer("fall", 3, 1, 100));
            h.rejectUnknownKeys();
            return c;
        }

        private static PassiveHealthConfig passiveHealth(Section h) {
            PassiveHealthConfig c = new PassiveHealthConfig(h.bool("enabled", true), h.integer("failures", 5, 1, 1000),
                    h.duration("cooldown", Duration.ofSeconds(10)), h.bool("count-5xx", false));
            h.rejectUnknownKeys();
            return c;
        }

        private static ServerConfig server(ConfigValue value, String key, int defaultMaxConns) {
            String address;
            int weight = 1;
            int maxConns = defaultMaxConns;
            if (value.valueType() == ConfigValueType.STRING) {
                address = (String) value.unwrapped();
            } else if (value.valueType() == ConfigValueType.OBJECT) {
                Section s = Section.of((ConfigObject) value, key);
                address = s.requiredString("address");
                weight = s.integer("weight", 1, 1, 256);
                maxConns = s.integer("max-conns", defaultMaxConns, 0, 1_000_000);
                s.rejectUnknownKeys();
            } else {
                throw new ConfigError(key, "expected \"host:port\", \"unix:/path.sock\" or { address = ..., weight = N }");
            }
            if (address.startsWith("unix:")) {
                String path = address.substring(5);
                if (!path.startsWith("/")) {
                    throw new ConfigError(key, "expected unix:/absolute/path.sock, got \"" + address + '"');
                }
                return new ServerConfig(address, null, path, weight, maxConns);
            }
            return new ServerConfig(address, resolve(address, key), null, weight, maxConns);
        }

        private List<RouteConfig> routes(Map<String, BackendConfig> backends) {
            List<ConfigValue> values = ferry.list("routes");
            if (values.isEmpty()) {
                throw new ConfigError("ferry.routes", "at least one route is required");
            }
            List<RouteConfig> routes = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                Section s = element(values.get(i), "ferry.routes[" + i + "]");
                List<String> hosts = s.stringList("host", List.of("*"));
                for (String host : hosts) {
                    if (!validHostPattern(host)) {
                        throw s.error("host", "must be a host name, *.domain or *; got \"" + host + '"');
                    }
                }
                String path = s.string("path", "/");
                if (!path.startsWith("/")) {
                    throw s.error("path", "must start with /; got \"" + path + '"');
                }
                String backend = s.requiredString("backend");
                if (!backends.containsKey(backend)) {
                    throw s.error("backend", "no backend named \"" + backend + "\" (defined: "
                            + String.join(", ", backends.keySet()) + ")");
                }
                boolean cache = s.bool("cache", true);
                String name = s.string("name", String.join(",", hosts) + path);
                s.rejectUnknownKeys();
                routes.add(new RouteConfig(name, List.copyOf(hosts), path, backend, cache));
            }
            return routes;
        }

        private static CacheConfig cache(Section s) {
            boolean enabled = s.bool("enabled", false);
            long size = s.bytes("size", 256L * 1024 * 1024, 1024 * 1024, 1L << 40);
            long maxObject = s.bytes("max-object-size", 8L * 1024 * 1024, 1024, 1L << 31);
            Duration ttl = nonNegative(s, "default-ttl", Duration.ofSeconds(120));
            Duration grace = nonNegative(s, "grace", Duration.ofSeconds(10));
            Duration keep = nonNegative(s, "keep", Duration.ZERO);
            Duration staleIfError = nonNegative(s, "stale-if-error", Duration.ZERO);
            Duration hitForMiss = s.duration("hit-for-miss", Duration.ofSeconds(120));
            Duration wait = s.duration("wait-timeout", Duration.ofSeconds(10));
            String header = s.string("header", "X-Cache");
            Section st = s.section("static");
            List<String> exts = st.stringList("extensions", List.of("css", "js", "mjs", "png", "jpg", "jpeg", "gif",
                    "svg", "ico", "webp", "avif", "woff", "woff2", "ttf", "eot", "otf", "pdf", "map", "txt", "xml"));
            Set<String> extensions = new HashSet<>();
            for (String e : exts) {
                extensions.add(e.toLowerCase(java.util.Locale.ROOT).replaceFirst("^\\.", ""));
            }
            Duration staticMin = nonNegative(st, "min-ttl", Duration.ofHours(1));
            st.rejectUnknownKeys();
            Section an = s.section("anonymous");
            boolean anonymous = an.bool("enabled", true);
            String cookieText = an.string("session-cookie", "^S?SESS[0-9a-f]+");
            java.util.regex.Pattern cookie;
            try {
                cookie = java.util.regex.Pattern.compile(cookieText);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw an.error("session-cookie", "not a valid regular expression: " + e.getDescription());
            }
            List<String> pass = an.stringList("pass-paths", List.of("/admin", "/user", "/update.php", "/cron.php",
                    "/install.php", "/batch"));
            an.rejectUnknownKeys();
            Section pg = s.section("purge");
            List<String> allow = pg.stringList("allow", List.of("127.0.0.0/8", "::1/128"));
            for (String cidr : allow) {
                if (!io.ferry.config.Cidr.valid(cidr)) {
                    throw pg.error("allow", "expected networks such as 127.0.0.0/8 or ::1/128; got \"" + cidr + '"');
                }
            }
            pg.rejectUnknownKeys();
            boolean exposeTags = s.bool("expose-tags", false);
            s.rejectUnknownKeys();
            return new CacheConfig(enabled, size, maxObject, ttl, grace, keep, staleIfError, hitForMiss, wait, header,
                    Set.copyOf(extensions), staticMin, anonymous, cookie, List.copyOf(pass), List.copyOf(allow), exposeTags);
        }

        /** A duration that may be zero (grace = 0s turns grace off). */
        private static Duration nonNegative(Section s, String key, Duration defaultValue) {
            if (!s.has(key)) {
                return defaultValue;
            }
            try {
                return s.duration(key, defaultValue);
            } catch (ConfigError e) {
                if (e.getMessage().contains("positive")) {
                    return Duration.ZERO;
                }
                throw e;
            }
        }

        private static AdminConfig admin(Section s) {
            List<String> allow = s.stringList("allow", List.of("127.0.0.0/8", "::1/128"));
            for (String cidr : allow) {
                if (!Cidr.valid(cidr)) {
                    throw s.error("allow", "expected networks such as 127.0.0.0/8 or ::1/128; got \"" + cidr + '"');
                }
            }
            String token = s.string("token", null);
            if (token != null && token.length() < 16) {
                throw s.error("token", "use at least 16 characters (for example: openssl rand -hex 24)");
            }
            AdminConfig admin = new AdminConfig(s.bool("enabled", false), s.string("bind", "127.0.0.1"),
                    s.integer("port", 9901, 0, 65535), List.copyOf(allow), token == null || token.isEmpty() ? null : token);
            s.rejectUnknownKeys();
            return admin;
        }

        private static AccessLogConfig accessLog(Section s) {
            String format = s.string("format", io.ferry.accesslog.LogFormat.DEFAULT);
            try {
                new io.ferry.accesslog.LogFormat(format);
            } catch (IllegalArgumentException e) {
                throw s.error("format", e.getMessage());
            }
            AccessLogConfig c = new AccessLogConfig(s.bool("enabled", false), s.string("path", "stdout"), format,
                    s.integer("queue", 65536, 1, 10_000_000));
            s.rejectUnknownKeys();
            return c;
        }

        private DemoConfig demo(Section s) {
            DemoConfig demo = new DemoConfig(s.bool("enabled", false), s.string("bind", "127.0.0.1"),
                    s.integer("port", 8081, 0, 65535));
            s.rejectUnknownKeys();
            return demo;
        }

        private static Section element(ConfigValue value, String key) {
            if (value.valueType() != ConfigValueType.OBJECT) {
                throw new ConfigError(key, "expected an object { ... }, got " + value.valueType().name().toLowerCase());
            }
            return Section.of((ConfigObject) value, key);
        }
    }

    private static boolean validHostPattern(String host) {
        if (host.equals("*")) {
            return true;
        }
        String name = host.startsWith("*.") ? host.substring(2) : host;
        return !name.isEmpty() && name.indexOf('*') < 0 && name.indexOf(':') < 0 && name.indexOf('/') < 0;
    }

    /** A server given at runtime (admin): validated and resolved like one from the file. */
    public static ServerConfig runtimeServer(String address, int weight, int maxConns) {
        String key = "server " + address;
        if (weight < 1 || weight > 256) {
            throw new ConfigError(key, "weight must be between 1 and 256, got " + weight);
        }
        if (address.startsWith("unix:")) {
            if (!address.startsWith("unix:/")) {
                throw new ConfigError(key, "expected unix:/absolute/path.sock");
            }
            return new ServerConfig(address, null, address.substring(5), weight, maxConns);
        }
        return new ServerConfig(address, resolve(address, key), null, weight, maxConns);
    }

    /** Splits {@code host:port} or {@code [v6]:port} and resolves the host once, at load time. */
    static InetSocketAddress resolve(String address, String key) {
        String host;
        String portText;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close < 0 || close + 1 >= address.length() || address.charAt(close + 1) != ':') {
                throw new ConfigError(key, "expected [ipv6]:port, got \"" + address + '"');
            }
            host = address.substring(1, close);
            portText = address.substring(close + 2);
        } else {
            int colon = address.lastIndexOf(':');
            if (colon <= 0 || address.indexOf(':') != colon) {
                throw new ConfigError(key, "expected host:port, got \"" + address + '"');
            }
            host = address.substring(0, colon);
            portText = address.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new ConfigError(key, "port must be 1-65535, got \"" + portText + '"');
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new ConfigError(key, "cannot resolve host \"" + host + '"');
        }
    }
}
