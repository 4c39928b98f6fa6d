package io.ferry.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
            Http2Config http2 = http2(ferry.section("http2"), limits);
            List<ListenerConfig> listeners = listeners();
            BackendReader backendReader = new BackendReader(baseDir);
            Map<String, BackendConfig> backends = backendReader.backends(ferry.section("backends"), timeouts, global);
            ClusterConfig cluster = null;
            if (ferry.has("cluster")) {
                if (backends.containsKey(ClusterConfig.PEERS_BACKEND)) {
                    throw new ConfigError("ferry.backends." + ClusterConfig.PEERS_BACKEND, "this name is the cluster's own");
                }
                Section c = ferry.section("cluster");
                cluster = FleetReader.cluster(c);
                backends = new java.util.LinkedHashMap<>(backends);
                backends.put(ClusterConfig.PEERS_BACKEND, backendReader.peers(c, cluster, timeouts, global));
                c.rejectUnknownKeys();
            }
            CompressionConfig compression = compression(ferry.section("compression"), CompressionConfig.OFF);
            List<RouteConfig> routes = routes(backends, compression);
            EsiConfig esi = CacheReader.esi(ferry.section("esi"));
            ResolversConfig resolvers = FleetReader.resolvers(ferry.section("resolvers"));
            TracingConfig tracing = tracing(ferry.section("tracing"));
            CacheConfig cache = CacheReader.cache(ferry.section("cache"));
            AdminConfig admin = admin(ferry.section("admin"));
            AccessLogConfig accessLog = accessLog(ferry.section("access-log"));
            DemoConfig demo = demo(ferry.section("demo"));
            RealIpConfig realIp = ferry.has("real-ip") ? realIp(ferry.section("real-ip")) : null;
            RulesConfig rules = new RulesReader(baseDir, backends.keySet()).read(ferry.section("rules"));
            return new FerryConfig(source, global, List.copyOf(listeners), timeouts, limits, http2,
                    Map.copyOf(backends), List.copyOf(routes), cache, admin, accessLog, demo, realIp, rules, compression, esi, resolvers, cluster, tracing, rendered);
        }

        private static RealIpConfig realIp(Section s) {
            List<String> from = s.networks("from", List.of());
            if (from.isEmpty()) {
                throw s.error("from", "is required: the networks of the proxies or load balancers in front of Ferry");
            }
            String header = s.string("header", "X-Forwarded-For");
            if (!header.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw s.error("header", "must be a header field name such as X-Forwarded-For; got \"" + header + '"');
            }
            s.rejectUnknownKeys();
            return new RealIpConfig(from, header);
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
            String stateFile = s.string("state-file", "");
            if (!stateFile.isEmpty()) {
                java.nio.file.Path dir = java.nio.file.Path.of(stateFile).toAbsolutePath().getParent();
                if (dir == null || !java.nio.file.Files.isDirectory(dir) || !java.nio.file.Files.isWritable(dir)) {
                    throw s.error("state-file", "its directory " + dir + " must exist and be writable (the file is"
                            + " replaced by a rename)");
                }
            }
            WarmUpSetting warmUp = WarmUpSetting.AUTO;
            String givenWarmUp = s.string("warm-up", "auto").trim();
            if (!givenWarmUp.equals("auto")) {
                java.time.Duration d;
                try {
                    d = s.durationOrZero("warm-up", WarmUpSetting.UPGRADE_DEFAULT);
                } catch (ConfigError e) {
                    throw s.error("warm-up", "expected auto or a duration such as 200ms or 0s, got " + givenWarmUp);
                }
                if (d.compareTo(java.time.Duration.ofSeconds(30)) > 0) {
                    throw s.error("warm-up", "must be at most 30s (it delays opening the listeners); got " + d);
                }
                warmUp = WarmUpSetting.always(d);
            }
            int jitPriority = s.integer("jit-priority", -10, -20, 19);
            java.time.Duration jitPriorityFor =
                    s.durationOrZero("jit-priority-for", java.time.Duration.ofSeconds(30));
            int jitSteadyPriority = s.integer("jit-steady-priority", 10, -20, 19);
            int gcPriority = s.integer("gc-priority", -10, -20, 19);
            String handover = s.string("handover-socket", "");
            if (!handover.isEmpty()) {
                java.nio.file.Path dir = java.nio.file.Path.of(handover).toAbsolutePath().getParent();
                if (dir == null || !java.nio.file.Files.isDirectory(dir) || !java.nio.file.Files.isWritable(dir)) {
                    throw s.error("handover-socket", "its directory " + dir + " must exist and be writable");
                }
                if (handover.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
                    throw s.error("handover-socket", "a unix socket path holds at most 107 bytes; got "
                            + handover.length() + " characters");
                }
            }
            s.rejectUnknownKeys();
            return new GlobalSettings(ioThreads, transport, maxConnections, via, stateFile, warmUp, jitPriority,
                    jitPriorityFor, jitSteadyPriority, gcPriority, handover);
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
                    s.duration("shutdown", Duration.ofSeconds(30)),
                    s.duration("lingering-close", Duration.ofSeconds(5)));
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

        private Http2Config http2(Section s, Limits limits) {
            Http2Config h = new Http2Config(
                    s.integer("max-concurrent-streams", 100, 1, 10_000),
                    (int) s.bytes("initial-window-size", 65_535, 1024, Integer.MAX_VALUE),
                    (int) s.bytes("max-frame-size", 16_384, 16_384, 16_777_215),
                    s.bytes("max-header-list-size", limits.maxHeaderSize(), 256, 16 * 1024 * 1024),
                    s.integer("max-resets", 200, 1, 1_000_000),
                    s.duration("reset-window", Duration.ofSeconds(30)),
                    s.integer("max-control-frames", 1000, 1, 10_000_000),
                    s.duration("control-frame-window", Duration.ofSeconds(10)),
                    s.integer("max-continuation-frames", 16, 1, 10_000),
                    s.integer("max-empty-data-frames", 4, 1, 10_000),
                    s.integer("max-queued-control-frames", 10_000, 1, 10_000_000));
            s.rejectUnknownKeys();
            return h;
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
                List<String> protocols = s.stringList("protocols",
                        List.of(ListenerConfig.H2, ListenerConfig.HTTP_1_1));
                if (protocols.isEmpty()) {
                    throw s.error("protocols", "must name at least one of h2, http/1.1");
                }
                for (String p : protocols) {
                    if (!p.equals(ListenerConfig.H2) && !p.equals(ListenerConfig.HTTP_1_1)) {
                        throw s.error("protocols", "only h2 and http/1.1 are supported; got \"" + p + '"');
                    }
                }
                boolean proxyProtocol = s.bool("proxy-protocol", false);
                List<String> proxyFrom = s.networks("proxy-protocol-from", List.of());
                if (proxyProtocol && proxyFrom.isEmpty()) {
                    throw s.error("proxy-protocol-from", "is required with proxy-protocol = true: the networks of the"
                            + " load balancers that send it (anything else is closed)");
                }
                if (tls != null && s.has("redirect-https")) {
                    throw s.error("redirect-https", "belongs on a plain-HTTP listener; this one has tls");
                }
                ListenerConfig.HttpsRedirect redirect = httpsRedirect(s);
                s.rejectUnknownKeys();
                listeners.add(new ListenerConfig(name, bind, port, backlog, reuseAddress, noDelay, tls,
                        List.copyOf(new LinkedHashSet<>(protocols)), proxyProtocol, proxyFrom, redirect));
            }
            return listeners;
        }

        /** The optional redirect-https { code, port } of a listener or a route. */
        private static ListenerConfig.HttpsRedirect httpsRedirect(Section s) {
            if (!s.has("redirect-https")) {
                return null;
            }
            Section r = s.section("redirect-https");
            int code = r.integer("code", 301, 0, 999);
            if (code != 301 && code != 302 && code != 307 && code != 308) {
                throw r.error("code", "must be 301, 302, 307 or 308; got " + code);
            }
            ListenerConfig.HttpsRedirect redirect = new ListenerConfig.HttpsRedirect(code, r.integer("port", 443, 1, 65535));
            r.rejectUnknownKeys();
            return redirect;
        }

        private TlsConfig tls(Section s) {
            List<TlsConfig.Certificate> certificates = new ArrayList<>();
            Path cert = file(s, "cert");
            Path key = file(s, "key");
            if ((cert == null) != (key == null)) {
                throw s.error(cert == null ? "cert" : "key", "cert and key must be given together "
                        + "(or neither, for a generated self-signed certificate)");
            }
            if (cert != null) {
                certificates.add(new TlsConfig.Certificate(cert, key, List.of(), s.path()));
            }
            List<ConfigValue> more = s.has("certificates") ? s.list("certificates") : List.of();
            for (int i = 0; i < more.size(); i++) {
                Section c = element(more.get(i), s.keyPath("certificates") + "[" + i + "]");
                Path moreCert = file(c, "cert");
                Path moreKey = file(c, "key");
                if (moreCert == null || moreKey == null) {
                    throw c.error(moreCert == null ? "cert" : "key", "is required: each certificate has a cert and a key");
                }
                List<String> names = c.stringList("names", List.of());
                for (String n : names) {
                    if (!n.matches("(\\*\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*")) {
                        throw c.error("names", "expected host names such as www.example.org or *.example.org; got \""
                                + n + '"');
                    }
                }
                c.rejectUnknownKeys();
                certificates.add(new TlsConfig.Certificate(moreCert, moreKey, List.copyOf(names), c.path()));
            }
            List<String> ciphers = s.stringList("ciphers", List.of());
            for (String cipher : ciphers) {
                if (!cipher.matches("[A-Za-z0-9_-]+")) {
                    throw s.error("ciphers", "expected cipher suite names such as ECDHE-RSA-AES128-GCM-SHA256 or "
                            + "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; got \"" + cipher + '"');
                }
            }
            TlsConfig.ClientVerify verify = s.choice("verify", TlsConfig.ClientVerify.NONE);
            Path clientCa = file(s, "client-ca");
            if (verify != TlsConfig.ClientVerify.NONE && clientCa == null) {
                throw s.error("client-ca", "is required with verify = " + verify.name().toLowerCase(java.util.Locale.ROOT)
                        + ": the CAs client certificates must chain to");
            }
            Section t = s.section("session-tickets");
            Duration rotate = t.duration("rotate", Duration.ofHours(1));
            Path keyFile = file(t, "key-file");
            if (keyFile != null) {
                long size;
                try {
                    size = Files.size(keyFile);
                } catch (java.io.IOException e) {
                    throw t.error("key-file", "cannot read " + keyFile + ": " + e.getMessage());
                }
                if (size == 0 || size % 48 != 0) {
                    throw t.error("key-file", "must hold one or more 48-byte keys (openssl rand 48 > ticket.key); "
                            + keyFile + " has " + size + " bytes");
                }
            }
            t.rejectUnknownKeys();
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
            if (!host.matches("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?") // a name, or IPv4
                    && !host.matches("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) { // IPv6
                throw s.error("self-signed-host", "expected a host name (letters, digits, '-' and '.'), a wildcard "
                        + "such as *.example.test, or an IP address; got \"" + host + '"');
            }
            String hsts = s.string("hsts", "");
            if (!hsts.isEmpty() && !hsts.matches("max-age=\\d+(\\s*;\\s*(includeSubDomains|preload))*")) {
                throw s.error("hsts", "expected a Strict-Transport-Security value such as "
                        + "\"max-age=31536000; includeSubDomains\"; got \"" + hsts + '"');
            }
            s.rejectUnknownKeys();
            return new TlsConfig(List.copyOf(certificates), List.copyOf(protocols), List.copyOf(ciphers), host,
                    hsts.isEmpty() ? null : hsts, verify, clientCa, new TlsConfig.Tickets(rotate, keyFile), s.path());
        }

        private Path file(Section s, String key) {
            return s.readableFile(key, baseDir);
        }


        /**
         * {@code compression { enabled, algorithms, types, min-length, gzip-level, brotli-level, zstd-level }},
         * each key defaulting to {@code defaults} (a route's section to the global one).
         */
        private static CompressionConfig compression(Section s, CompressionConfig defaults) {
            boolean enabled = s.bool("enabled", defaults.enabled());
            List<CompressionConfig.Algorithm> algorithms = new ArrayList<>();
            for (String name : s.stringList("algorithms", defaults.algorithms().stream().map(a -> a.token).toList())) {
                CompressionConfig.Algorithm found = null;
                for (CompressionConfig.Algorithm a : CompressionConfig.Algorithm.values()) {
                    if (a.token.equals(name)) {
                        found = a;
                    }
                }
                if (found == null || algorithms.contains(found)) {
                    throw s.error("algorithms", "expected br, zstd and/or gzip, each once; got \"" + name + '"');
                }
                algorithms.add(found);
            }
            if (algorithms.isEmpty()) {
                throw s.error("algorithms", "at least one of br, zstd, gzip (or enabled = false)");
            }
            List<String> types = new ArrayList<>();
            for (String t : s.stringList("types", defaults.types())) {
                String type = t.trim().toLowerCase(java.util.Locale.ROOT);
                if (!type.matches("[a-z0-9!#$&^_.+-]+/([a-z0-9!#$&^_.+-]+\\*?|\\*)")) {
                    throw s.error("types", "expected media types such as text/html or text/*; got \"" + t + '"');
                }
                types.add(type);
            }
            long minLength = s.bytes("min-length", defaults.minLength(), 0, 1L << 30);
            int gzip = s.integer("gzip-level", defaults.gzipLevel(), 1, 9);
            int brotli = s.integer("brotli-level", defaults.brotliLevel(), 0, 11);
            int zstd = s.integer("zstd-level", defaults.zstdLevel(), 1, 19);
            boolean precompressed = s.bool("precompressed", defaults.precompressed());
            s.rejectUnknownKeys();
            return new CompressionConfig(enabled, List.copyOf(algorithms), List.copyOf(types), minLength, gzip, brotli, zstd,
                    precompressed);
        }



        /** {@code tracing { enabled, endpoint, service-name, sample-ratio, queue-size, flush-interval }}. */
        private static TracingConfig tracing(Section s) {
            TracingConfig d = TracingConfig.OFF;
            boolean enabled = s.bool("enabled", d.enabled());
            String endpoint = s.string("endpoint", d.endpoint());
            if (!endpoint.isEmpty() && !endpoint.matches("https?://[^\\s/]+(/\\S*)?")) {
                throw s.error("endpoint", "expected an OTLP/HTTP URL such as http://127.0.0.1:4318/v1/traces; got \""
                        + endpoint + '"');
            }
            String service = s.string("service-name", d.serviceName());
            double ratio = s.has("sample-ratio") ? BackendReader.share(s, "sample-ratio") : d.sampleRatio();
            int queue = s.integer("queue-size", d.queueSize(), 16, 1_000_000);
            Duration flush = s.duration("flush-interval", d.flushInterval());
            if (flush.isNegative() || flush.isZero()) {
                throw s.error("flush-interval", "must be positive");
            }
            s.rejectUnknownKeys();
            return new TracingConfig(enabled, endpoint, service, ratio, queue, flush);
        }



        private List<RouteConfig> routes(Map<String, BackendConfig> backends, CompressionConfig compression) {
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
                ListenerConfig.HttpsRedirect redirect = httpsRedirect(s);
                CompressionConfig routeCompression = compression;
                if (s.has("compression") && s.isObject("compression")) { // the route's own settings
                    routeCompression = compression(s.section("compression"), compression);
                } else if (s.has("compression")) { // compression = true / false: the global settings, on or off
                    routeCompression = new CompressionConfig(s.bool("compression", true), compression.algorithms(),
                            compression.types(), compression.minLength(), compression.gzipLevel(),
                            compression.brotliLevel(), compression.zstdLevel(), compression.precompressed());
                }
                EsiConfig.RouteMode esi = !s.has("esi") ? EsiConfig.RouteMode.AUTO
                        : s.bool("esi", false) ? EsiConfig.RouteMode.ON : EsiConfig.RouteMode.OFF;
                s.rejectUnknownKeys();
                routes.add(new RouteConfig(name, List.copyOf(hosts), path, backend, cache, redirect, routeCompression, esi));
            }
            return routes;
        }



        private static AdminConfig admin(Section s) {
            List<String> allow = s.networks("allow", List.of("127.0.0.0/8", "::1/128"));
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
            AccessLogConfig c = new AccessLogConfig(s.bool("enabled", true), s.string("path", "stdout"), format,
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
        return BackendReader.runtimeServer(address, weight, maxConns);
    }
}
