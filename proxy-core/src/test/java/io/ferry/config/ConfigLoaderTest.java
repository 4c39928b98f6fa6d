package io.ferry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    private static final String MINIMAL = """
            ferry {
              listeners = [ { port = 8000 } ]
              backends.app.servers = [ "127.0.0.1:8080" ]
              routes = [ { backend = app } ]
            %s
            }
            """;

    /** A minimal valid config with {@code extra} inside {@code ferry { }}, parsed. */
    static FerryConfig parse(String extra) {
        return ConfigLoader.parse(MINIMAL.formatted(extra), Path.of("."));
    }

    /** The error {@link #parse} throws for {@code extra}. */
    static ConfigError error(String extra) {
        return assertThrows(ConfigError.class, () -> parse(extra));
    }

    @Test
    void shippedDefaultConfigIsValidAndMatchesTheDocumentedDefaults() {
        FerryConfig c = ConfigLoader.load(Path.of("../conf/ferry.conf"));
        assertEquals(2, c.listeners().size());
        assertEquals(8000, c.listeners().get(0).port());
        assertEquals(1024, c.listeners().get(0).backlog());
        assertFalse(c.listeners().get(0).isTls());
        assertEquals(4430, c.listeners().get(1).port());
        assertTrue(c.listeners().get(1).tls().selfSigned());
        assertTrue(c.demo().enabled());
        assertEquals(Duration.ofMillis(3500), c.timeouts().connect());
        assertEquals(Duration.ofSeconds(4), c.backends().get("demo").pool().idleTimeout());
        assertEquals(java.util.List.of("h2", "http/1.1"), c.listeners().get(0).protocols());
        assertEquals(100, c.http2().maxConcurrentStreams());
        assertEquals(c.limits().maxHeaderSize(), c.http2().maxHeaderListSize());
    }

    @Test
    void warmUpIsAutoByDefaultAndADurationAppliesToEveryStart() {
        WarmUpSetting auto = parse("").global().warmUp();
        assertEquals(Duration.ZERO, auto.forStart(false), "auto: none on a cold start");
        assertEquals(Duration.ofMillis(200), auto.forStart(true), "auto: 200ms on an upgrade");
        assertEquals(auto, parse("global.warm-up = auto").global().warmUp());
        assertEquals(WarmUpSetting.always(Duration.ZERO), parse("global.warm-up = 0s").global().warmUp(), "0s: never");
        WarmUpSetting given = parse("global.warm-up = 500ms").global().warmUp();
        assertEquals(Duration.ofMillis(500), given.forStart(false));
        assertEquals(Duration.ofMillis(500), given.forStart(true));
        assertEquals("ferry.global.warm-up", error("global.warm-up = 31s").key());
        ConfigError soon = error("global.warm-up = soon");
        assertEquals("ferry.global.warm-up", soon.key());
        assertTrue(soon.getMessage().contains("expected auto or a duration") && soon.getMessage().contains("soon"),
                soon.getMessage());
    }

    @Test
    void jitPriorityDefaultsToMinus10AndIsANiceValue() {
        assertEquals(-10, parse("").global().jitPriority());
        assertEquals(-10, ConfigLoader.load(Path.of("../conf/ferry.conf")).global().jitPriority(), "the file shows it");
        assertEquals(0, parse("global.jit-priority = 0").global().jitPriority(), "0 leaves the compilers alone");
        assertEquals(19, parse("global.jit-priority = 19").global().jitPriority());
        ConfigError low = error("global.jit-priority = -21");
        assertEquals("ferry.global.jit-priority", low.key());
        assertTrue(low.getMessage().contains("between -20 and 19"), low.getMessage());
        assertEquals("ferry.global.jit-priority", error("global.jit-priority = high").key());
    }

    @Test
    void gcPriorityDefaultsToMinus10AndIsANiceValue() {
        assertEquals(-10, parse("").global().gcPriority());
        assertEquals(-10, ConfigLoader.load(Path.of("../conf/ferry.conf")).global().gcPriority(), "the file shows it");
        assertEquals(0, parse("global.gc-priority = 0").global().gcPriority(), "0 leaves the collector alone");
        ConfigError low = error("global.gc-priority = -21");
        assertEquals("ferry.global.gc-priority", low.key());
        assertTrue(low.getMessage().contains("between -20 and 19"), low.getMessage());
        assertEquals("ferry.global.gc-priority", error("global.gc-priority = urgent").key());
    }

    @Test
    void theCompilersGoBelowTheEventLoopsThirtySecondsAfterAStart() {
        FerryConfig file = ConfigLoader.load(Path.of("../conf/ferry.conf"));
        assertEquals(Duration.ofSeconds(30), parse("").global().jitPriorityFor());
        assertEquals(Duration.ofSeconds(30), file.global().jitPriorityFor(), "the file shows it");
        assertEquals(10, parse("").global().jitSteadyPriority());
        assertEquals(10, file.global().jitSteadyPriority(), "the file shows it");
        assertEquals(Duration.ZERO, parse("global.jit-priority-for = 0s").global().jitPriorityFor(), "0s: for good");
        assertEquals(Duration.ofMinutes(2), parse("global.jit-priority-for = 2m").global().jitPriorityFor());
        assertEquals(0, parse("global.jit-steady-priority = 0").global().jitSteadyPriority());
        assertEquals("ferry.global.jit-priority-for", error("global.jit-priority-for = -1s").key());
        ConfigError later = error("global.jit-priority-for = later");
        assertEquals("ferry.global.jit-priority-for", later.key());
        assertTrue(later.getMessage().contains("expected a duration"), later.getMessage());
        ConfigError high = error("global.jit-steady-priority = 20");
        assertEquals("ferry.global.jit-steady-priority", high.key());
        assertTrue(high.getMessage().contains("between -20 and 19"), high.getMessage());
    }

    @Test
    void tracingIsOffByDefaultAndValidated() {
        assertEquals(TracingConfig.OFF, parse("").tracing());
        assertEquals(TracingConfig.OFF, ConfigLoader.load(Path.of("../conf/ferry.conf")).tracing(), "the file shows the defaults");
        assertEquals("ferry.tracing.endpoint", error("tracing.endpoint = \"collector:4318\"").key());
        assertEquals("ferry.tracing.sample-ratio", error("tracing.sample-ratio = 2").key());
        assertEquals(0.25, parse("tracing { enabled = true, sample-ratio = 0.25 }").tracing().sampleRatio());
    }

    @Test
    void aClusterMakesThePeersBackendWithoutSelf() {
        assertNull(parse("").cluster(), "no fleet by default");
        FerryConfig c = parse("""
                cluster { self = "127.0.0.2:8000", peers = [ "127.0.0.2:8000", "127.0.0.3:8000", "127.0.0.4:8000" ] }
                """);
        assertEquals(new java.net.InetSocketAddress("127.0.0.2", 8000), c.cluster().self());
        assertTrue(c.cluster().shardCache());
        assertTrue(c.cluster().purgeFanout());
        BackendConfig peers = c.backends().get(ClusterConfig.PEERS_BACKEND);
        assertEquals(List.of("127.0.0.3:8000", "127.0.0.4:8000"), peers.servers().stream().map(ServerConfig::name).toList());
        assertTrue(peers.preserveHost(), "the owner routes by the client's Host");
        assertEquals("ferry.cluster.self", error("cluster { peers = [ \"127.0.0.3:8000\" ] }").key());
        assertEquals("ferry.cluster.peers", error("cluster { self = \"127.0.0.2:8000\", peers = [ \"127.0.0.2:8000\" ] }").key());
        assertEquals("ferry.cluster.shards", error("cluster { self = \"127.0.0.2:8000\", peers = [ \"127.0.0.3:8000\" ], shards = 3 }").key());
        String fleet = "cluster { self = \"127.0.0.2:8000\", peers = [ \"127.0.0.3:8000\" ], local-ttl = %s }";
        assertEquals(Duration.ZERO, parse(fleet.formatted("0s")).cluster().localTtl(), "conf/ shows 0s: no local copies");
        assertEquals("ferry.cluster.local-ttl", error(fleet.formatted("-1s")).key());
    }

    @Test
    void discoveredServersAndResolversAreValidated() {
        FerryConfig c = parse("");
        assertEquals(ResolversConfig.DEFAULTS, c.resolvers());
        assertEquals(ResolversConfig.DEFAULTS, ConfigLoader.load(Path.of("../conf/ferry.conf")).resolvers(),
                "the file shows the defaults");
        FerryConfig d = parse("""
                resolvers { nameservers = [ "10.0.0.2", "10.0.0.3:5353", "[::1]:53" ], min-ttl = 2s, max-ttl = 1m }
                backends.b.servers = [ { address = "app.internal:8080", resolve = true, weight = 2 },
                                       "srv:_http._tcp.app.service.consul", "127.0.0.1:9" ]
                routes = [ { backend = b } ]
                """);
        assertEquals(List.of(new java.net.InetSocketAddress("10.0.0.2", 53), new java.net.InetSocketAddress("10.0.0.3", 5353),
                new java.net.InetSocketAddress("::1", 53)), d.resolvers().nameservers());
        List<ServerConfig> servers = d.backends().get("b").servers();
        assertEquals(new DnsName("app.internal", 8080, false), servers.get(0).discover());
        assertEquals(new DnsName("_http._tcp.app.service.consul", 0, true), servers.get(1).discover());
        assertNull(servers.get(2).discover());
        assertEquals("ferry.resolvers.nameservers", error("resolvers.nameservers = [ \"dns.example.org\" ]").key());
        assertEquals("ferry.resolvers.max-ttl", error("resolvers { min-ttl = 10s, max-ttl = 1s }").key());
        assertEquals("ferry.backends.b.servers[0]", error("""
                backends.b.servers = [ { address = "app.internal", resolve = true } ]
                routes = [ { backend = b } ]
                """).key(), "resolve = true needs a port");
        assertEquals("ferry.backends.b.servers[0]", error("""
                backends.b.servers = [ "srv:bad name" ]
                routes = [ { backend = b } ]
                """).key());
    }

    @Test
    void esiKeysHaveVarnishsDefaultsAndAreValidated() {
        FerryConfig c = parse("");
        assertEquals(EsiConfig.DEFAULTS, c.esi());
        assertEquals(5, c.esi().maxDepth(), "Varnish's max_esi_depth");
        assertEquals(EsiConfig.DEFAULTS, ConfigLoader.load(Path.of("../conf/ferry.conf")).esi(), "the file shows the defaults");
        assertEquals("ferry.esi.max-depth", error("esi.max-depth = 0").key());
        assertEquals("ferry.esi.max-size", error("esi.max-size = lots").key());
        assertEquals("ferry.esi.max-include", error("esi.max-include = 3").key(), "a misspelt key is named");
        assertEquals(EsiConfig.RouteMode.AUTO, c.routes().get(0).esi());
        FerryConfig routes = parse("""
                backends.b.servers = [ "127.0.0.1:9" ]
                routes = [ { path = "/a", backend = b, esi = true }, { path = "/b", backend = b, esi = false } ]
                """);
        assertEquals(EsiConfig.RouteMode.ON, routes.routes().get(0).esi());
        assertEquals(EsiConfig.RouteMode.OFF, routes.routes().get(1).esi());
        assertEquals("ferry.routes[0].esi", error("""
                backends.b.servers = [ "127.0.0.1:9" ]
                routes = [ { backend = b, esi = sometimes } ]
                """).key());
    }

    @Test
    void http2KeysHaveSafeDefaultsAndAreValidated() {
        FerryConfig c = parse("");
        assertEquals(java.util.List.of("h2", "http/1.1"), c.listeners().get(0).protocols(), "both by default");
        assertEquals(100, c.http2().maxConcurrentStreams());
        assertEquals(200, c.http2().maxResets());
        assertEquals(Duration.ofSeconds(30), c.http2().resetWindow());
        assertEquals(16, c.http2().maxContinuationFrames());
        assertEquals(java.util.List.of("http/1.1"),
                parse("listeners = [ { port = 8000, protocols = \"http/1.1\" } ]").listeners().get(0).protocols());
        ConfigError h3 = error("listeners = [ { port = 8000, protocols = [ h2, h3 ] } ]");
        assertEquals("ferry.listeners[0].protocols", h3.key());
        assertTrue(h3.getMessage().contains("h3"), h3.getMessage());
        assertEquals("ferry.listeners[0].protocols", error("listeners = [ { port = 8000, protocols = [] } ]").key());
        assertEquals("ferry.http2.max-concurrent-streams", error("http2.max-concurrent-streams = 0").key());
        assertEquals("ferry.http2.max-frame-size", error("http2.max-frame-size = 1k").key());
        assertEquals("ferry.http2.reset-window", error("http2.reset-window = 0s").key());
        assertEquals("ferry.http2.streams", error("http2.streams = 5").key(), "unknown key named");
        assertEquals(64, c.backends().get("app").pool().maxConnecting(), "pool.max-connecting");
        assertEquals("ferry.backends.app.pool.max-connecting", error("backends.app.pool.max-connecting = 0").key());
        assertEquals(BackendConfig.Protocol.HTTP1, c.backends().get("app").protocol());
        assertEquals(BackendConfig.Protocol.H2C, parse("backends.app.protocol = h2c").backends().get("app").protocol());
        assertEquals("ferry.backends.app.protocol", error("backends.app.protocol = h3").key());
        assertEquals("ferry.backends.app.protocol", error(
                "backends.app { type = fastcgi, protocol = h2c, fastcgi.document-root = \"/tmp\" }").key());
    }

    @Test
    void edgeKeysHaveSafeDefaultsAndAreValidated() {
        FerryConfig c = parse("");
        assertEquals(false, c.listeners().get(0).proxyProtocol());
        assertEquals(null, c.listeners().get(0).redirectHttps());
        assertEquals(null, c.realIp());
        assertEquals(BackendConfig.SendProxy.NONE, c.backends().get("app").sendProxy());
        assertEquals("ferry.listeners[0].proxy-protocol-from",
                error("listeners = [ { port = 8000, proxy-protocol = true } ]").key(), "required with proxy-protocol");
        assertEquals("ferry.listeners[0].proxy-protocol-from",
                error("listeners = [ { port = 8000, proxy-protocol = true, proxy-protocol-from = [ \"10.0.0.0/33\" ] } ]").key());
        ListenerConfig.HttpsRedirect r = parse("listeners = [ { port = 8000, redirect-https { } } ]")
                .listeners().get(0).redirectHttps();
        assertEquals(301, r.code());
        assertEquals(443, r.port());
        assertEquals("ferry.listeners[0].redirect-https.code",
                error("listeners = [ { port = 8000, redirect-https.code = 200 } ]").key());
        assertEquals("ferry.listeners[0].redirect-https",
                error("listeners = [ { port = 8000, tls { }, redirect-https { } } ]").key(), "not on a TLS listener");
        assertEquals(308, parse("routes = [ { backend = app, redirect-https.code = 308 } ]").routes().get(0)
                .redirectHttps().code());
        assertEquals("ferry.routes[0].redirect-https.code",
                error("routes = [ { backend = app, redirect-https.code = 303 } ]").key());
        assertEquals("max-age=600", parse("listeners = [ { port = 8000, tls.hsts = \"max-age=600\" } ]")
                .listeners().get(0).tls().hsts());
        assertEquals("ferry.listeners[0].tls.hsts", error("listeners = [ { port = 8000, tls.hsts = \"forever\" } ]").key());
        assertEquals("ferry.listeners[0].tls.self-signed-host",
                error("listeners = [ { port = 8000, tls.self-signed-host = \"my host\" } ]").key());
        assertEquals("::1", parse("listeners = [ { port = 8000, tls.self-signed-host = \"::1\" } ]")
                .listeners().get(0).tls().selfSignedHost());
        assertEquals("*.site.test", parse("listeners = [ { port = 8000, tls.self-signed-host = \"*.site.test\" } ]")
                .listeners().get(0).tls().selfSignedHost());
        assertEquals(List.of("10.0.0.0/8"), parse("real-ip.from = [ \"10.0.0.0/8\" ]").realIp().from());
        assertEquals("X-Forwarded-For", parse("real-ip.from = [ \"10.0.0.0/8\" ]").realIp().header());
        assertEquals("ferry.real-ip.from", error("real-ip { header = X-Real-IP }").key());
        assertEquals("ferry.real-ip.header", error("real-ip { from = [ \"10.0.0.0/8\" ], header = \"a b\" }").key());
        assertEquals(BackendConfig.SendProxy.V2, parse("backends.app.send-proxy = v2").backends().get("app").sendProxy());
        assertEquals("ferry.backends.app.send-proxy", error("backends.app.send-proxy = v3").key());
        assertEquals("ferry.backends.app.send-proxy", error("backends.app { protocol = h2c, send-proxy = v1 }").key());
    }

    @Test
    void tlsKeysAreValidated(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path shortKey = java.nio.file.Files.write(dir.resolve("ticket.key"), new byte[10]);
        Path pem = java.nio.file.Files.writeString(dir.resolve("any.pem"), "not checked until startup");
        TlsConfig tls = parse("listeners = [ { port = 4430, tls { } } ]").listeners().get(0).tls();
        assertEquals(TlsConfig.ClientVerify.NONE, tls.verifyClient());
        assertEquals(Duration.ofHours(1), tls.tickets().rotate());
        assertEquals(List.of(), tls.ciphers());
        assertEquals("ferry.listeners[0].tls.client-ca",
                error("listeners = [ { port = 4430, tls.verify = optional } ]").key(), "a CA is required");
        assertEquals("ferry.listeners[0].tls.verify",
                error("listeners = [ { port = 4430, tls.verify = maybe } ]").key());
        assertEquals("ferry.listeners[0].tls.ciphers",
                error("listeners = [ { port = 4430, tls.ciphers = [ \"AES 128\" ] } ]").key());
        assertEquals("ferry.listeners[0].tls.session-tickets.key-file",
                error("listeners = [ { port = 4430, tls.session-tickets.key-file = \"" + shortKey + "\" } ]").key());
        assertEquals("ferry.listeners[0].tls.certificates[0].key",
                error("listeners = [ { port = 4430, tls.certificates = [ { cert = \"" + pem + "\" } ] } ]").key());
        assertEquals("ferry.listeners[0].tls.certificates[0].names", error("listeners = [ { port = 4430, "
                + "tls.certificates = [ { cert = \"" + pem + "\", key = \"" + pem + "\", names = [ \"a b\" ] } ] } ]").key());
        BackendTlsConfig backend = parse("backends.app.tls { enabled = true, server-name = api.internal }")
                .backends().get("app").tls();
        assertTrue(backend.enabled() && backend.verify());
        assertEquals("api.internal", backend.serverName());
        assertFalse(parse("").backends().get("app").tls().enabled());
        assertTrue(parse("backends.app.protocol = h2").backends().get("app").tls().enabled(), "h2 is TLS");
        assertFalse(parse("backends.app { protocol = h2, tls-verify = false }").backends().get("app").tls().verify());
        assertEquals("ferry.backends.app.tls.enabled", error("backends.app { protocol = h2, tls.enabled = false }").key());
        assertEquals("ferry.backends.app.tls.enabled",
                error("backends.app { type = fastcgi, fastcgi.document-root = \"/tmp\", tls.enabled = true }").key());
        assertEquals("ferry.backends.app.tls.client-key",
                error("backends.app.tls { enabled = true, client-cert = \"" + pem + "\" }").key());
        assertEquals("ferry.backends.app.tls.ca", error("backends.app.tls { enabled = true, ca = \"/no/such.pem\" }").key());
    }

    @Test
    void drupalExampleIsValidOnceItsPathsExist(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String text = java.nio.file.Files.readString(Path.of("../conf/examples/drupal.conf"))
                .replace("/var/www/drupal/web", dir.toString())
                .replaceAll("tls \\{ cert = \"[^\"]*\", key = \"[^\"]*\" \\}", "tls { }");
        FerryConfig c = ConfigLoader.parse(text, dir);
        BackendConfig drupal = c.backends().get("drupal");
        assertEquals(BackendConfig.Type.FASTCGI, drupal.type());
        assertEquals("unix:/run/php/php8.2-fpm-drupal.sock", drupal.servers().get(0).name());
        assertEquals(java.util.List.of("$uri", "$uri/", "/index.php?$args"), drupal.fastcgi().tryFiles());
        assertEquals(16, drupal.servers().get(0).maxConns());
        assertEquals(java.util.List.of("/admin", "/user", "/update.php", "/cron.php", "/install.php", "/batch"),
                c.cache().passPaths(), "the drupal preset");
    }

    @Test
    void edgeExampleIsValidOnceItsFilesExist(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path tls = java.nio.file.Files.createDirectories(dir.resolve("tls"));
        for (String f : List.of("www-ecdsa.crt", "www-ecdsa.key", "www-rsa.crt", "www-rsa.key", "shop.crt", "shop.key",
                "operators-ca.pem", "internal-ca.pem")) {
            java.nio.file.Files.writeString(tls.resolve(f), "checked when Ferry starts");
        }
        java.nio.file.Files.write(tls.resolve("ticket.key"), new byte[48]);
        String text = java.nio.file.Files.readString(Path.of("../conf/examples/edge.conf"))
                .replace("app1.internal", "127.0.0.1").replace("app2.internal", "127.0.0.2")
                .replace("legacy.internal", "127.0.0.3");
        FerryConfig c = ConfigLoader.parse(text, dir);
        assertEquals(308, c.listeners().get(0).redirectHttps().code());
        assertTrue(c.listeners().get(1).proxyProtocol());
        assertEquals(3, c.listeners().get(1).tls().certificates().size());
        assertEquals(TlsConfig.ClientVerify.REQUIRED, c.listeners().get(2).tls().verifyClient());
        assertEquals("app.internal", c.backends().get("app").tls().serverName());
        assertEquals(BackendConfig.SendProxy.V2, c.backends().get("legacy").sendProxy());
    }

    @Test
    void fastcgiSettingsAreValidated() {
        assertEquals("ferry.backends.app.fastcgi", error("backends.app { type = fastcgi }").key());
        assertEquals("ferry.backends.app.fastcgi.document-root",
                error("backends.app { type = fastcgi, fastcgi.document-root = \"/nonexistent/root\" }").key());
        assertEquals("ferry.backends.app.fastcgi.try-files", error(
                "backends.app { type = fastcgi, fastcgi { document-root = \"/tmp\", try-files = [ \"=404\", \"$uri\" ] } }").key());
        assertEquals("ferry.backends.app.fastcgi.max-buffered-body", error(
                "backends.app { type = fastcgi, fastcgi { document-root = \"/tmp\", max-buffered-body = lots } }").key());
        assertEquals("ferry.backends.app.fastcgi", error("backends.app.fastcgi.document-root = \"/tmp\"").key(),
                "fastcgi settings on an http backend");
        assertEquals("ferry.backends.app.type", error("backends.app.type = ajp").key());
    }

    @Test
    void reliabilityKeysHaveSafeDefaultsAndAreValidated() {
        BackendConfig app = parse("global.max-connections = 3000").backends().get("app");
        assertEquals(3000, app.maxQueue(), "a burst within max-connections is queued");
        assertEquals(3000, app.pool().maxConnections());
        assertEquals(java.util.List.of("websocket"), app.upgradeProtocols());
        assertEquals(0.5, app.passiveHealth().panicThreshold());
        assertEquals(Duration.ofSeconds(5), parse("").timeouts().lingeringClose());
        BackendConfig set = parse("backends.app { max-queue = 7, pool.max-connections = 9, upgrade-protocols = [ WebSocket, h2c ]"
                + ", passive-health.panic-threshold = 0 }").backends().get("app");
        assertEquals(7, set.maxQueue(), "explicit limits stay as configured");
        assertEquals(9, set.pool().maxConnections());
        assertEquals(java.util.List.of("websocket", "h2c"), set.upgradeProtocols());
        assertEquals(0.0, set.passiveHealth().panicThreshold());
        assertEquals("ferry.backends.app.upgrade-protocols", error("backends.app.upgrade-protocols = [ \"web socket\" ]").key());
        assertEquals("ferry.backends.app.passive-health.panic-threshold",
                error("backends.app.passive-health.panic-threshold = 1.5").key());
        assertEquals("ferry.timeouts.lingering-close", error("timeouts.lingering-close = soon").key());
        assertEquals("ferry.cache.anonymous.preset", error("cache.anonymous.preset = joomla").key());
        assertEquals("ferry.cache.anonymous.strip-cookies", error("cache.anonymous.strip-cookies = [ \"a b\" ]").key());
        assertEquals(java.util.List.of(), parse("").cache().passPaths(), "the default preset needs no pass paths");
    }

    @Test
    void defaultsApplyWhenKeysAreLeftOut() {
        FerryConfig c = parse("");
        assertEquals("0.0.0.0", c.listeners().get(0).bind());
        assertEquals(1024, c.listeners().get(0).backlog());
        assertNull(c.listeners().get(0).tls());
        assertEquals(TransportKind.AUTO, c.global().transport());
        assertEquals(10_000, c.global().maxConnections());
        assertEquals(Duration.ofSeconds(60), c.timeouts().server());
        assertEquals(8 * 1024, c.limits().maxRequestLine());
        assertEquals(100, c.limits().maxHeaders());
        assertEquals(java.util.List.of("*"), c.routes().get(0).hosts());
        assertEquals("/", c.routes().get(0).pathPrefix());
        assertEquals(1, c.backends().get("app").servers().get(0).weight());
        assertTrue(c.backends().get("app").preserveHost());
        assertFalse(c.demo().enabled());
    }

    @Test
    void serversTakeWeightsAndIpv6() {
        FerryConfig c = ConfigLoader.parse("""
                ferry {
                  listeners = [ { port = 8000 } ]
                  backends.app.servers = [ { address = "127.0.0.1:8080", weight = 5 }, "[::1]:8081" ]
                  routes = [ { host = [ "example.org", "*.example.org" ], path = "/app", backend = app } ]
                }
                """, Path.of("."));
        assertEquals(5, c.backends().get("app").servers().get(0).weight());
        assertEquals(8081, c.backends().get("app").servers().get(1).address().getPort());
        assertEquals(2, c.routes().get(0).hosts().size());
    }

    @Test
    void unknownKeyIsNamed() {
        ConfigError e = error("timeouts { conect = 2s }");
        assertEquals("ferry.timeouts.conect", e.key());
        assertTrue(e.getMessage().contains("unknown key"), e.getMessage());
        assertEquals("ferry.listners", error("listners = []").key());
    }

    @Test
    void wrongTypesAndRangesAreNamed() {
        ConfigError e = error("timeouts.connect = soon");
        assertEquals("ferry.timeouts.connect", e.key());
        assertTrue(e.getMessage().contains("duration"), e.getMessage());
        assertEquals("ferry.limits.max-headers", error("limits.max-headers = 0").key());
        assertEquals("ferry.limits.max-body-size", error("limits.max-body-size = lots").key());
        assertEquals("ferry.global.transport", error("global.transport = dpdk").key());
        assertEquals("ferry.timeouts.server", error("timeouts.server = 0s").key());
    }

    @Test
    void routeToMissingBackendIsNamed() {
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.parse("""
                ferry {
                  listeners = [ { port = 8000 } ]
                  backends.app.servers = [ "127.0.0.1:8080" ]
                  routes = [ { backend = app }, { host = "x.org", backend = ghost } ]
                }
                """, Path.of(".")));
        assertEquals("ferry.routes[1].backend", e.key());
        assertTrue(e.getMessage().contains("ghost"), e.getMessage());
    }

    @Test
    void badServerAddressesAreNamed() {
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.parse("""
                ferry {
                  listeners = [ { port = 8000 } ]
                  backends.app.servers = [ "127.0.0.1:8080", "nohost" ]
                  routes = [ { backend = app } ]
                }
                """, Path.of(".")));
        assertEquals("ferry.backends.app.servers[1]", e.key());
    }

    @Test
    void unreadableCertificateIsNamed() {
        ConfigError e = error("listeners = [ { port = 4430, tls { cert = \"/nonexistent/c.pem\", key = \"/nonexistent/k.pem\" } } ]");
        assertEquals("ferry.listeners[0].tls.cert", e.key());
        assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
    }

    @Test
    void unsupportedTlsVersionIsNamed() {
        assertEquals("ferry.listeners[0].tls.protocols",
                error("listeners = [ { port = 4430, tls { protocols = [ TLSv1.1 ] } } ]").key());
    }

    @Test
    void systemPropertiesOverrideTheFile() {
        System.setProperty("ferry.timeouts.server", "7s");
        try {
            assertEquals(Duration.ofSeconds(7), parse("timeouts.server = 60s").timeouts().server());
        } finally {
            System.clearProperty("ferry.timeouts.server");
        }
        assertEquals(Duration.ofSeconds(60), parse("timeouts.server = 60s").timeouts().server());
    }

    @Test
    void syntaxErrorsAreReportedWithoutAStackTrace() {
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.parse("ferry { listeners = [ ", Path.of(".")));
        assertTrue(e.getMessage().startsWith("config: cannot parse"), e.getMessage());
        assertEquals(0, e.getStackTrace().length, "reported as a message, not a stack trace");
    }
}
