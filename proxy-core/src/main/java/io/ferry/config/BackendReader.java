package io.ferry.config;

import com.typesafe.config.ConfigObject;
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
 * Reads {@code ferry.backends}: servers (resolved once, here), balancing, limits, pools, health,
 * retries, timeouts, and a FastCGI backend's document root. Part of {@link ConfigLoader}.
 */
final class BackendReader {
    private final Path baseDir;

    BackendReader(Path baseDir) {
        this.baseDir = baseDir;
    }

    Map<String, BackendConfig> backends(Section all, Timeouts timeouts, GlobalSettings global) {
        Map<String, BackendConfig> backends = new LinkedHashMap<>();
        for (String name : all.keys()) {
            Section s = all.section(name);
            backends.put(name, backend(name, s, timeouts, global));
        }
        all.rejectUnknownKeys();
        if (backends.isEmpty()) {
            throw new ConfigError("ferry.backends", "at least one backend is required");
        }
        return backends;
    }

    /**
     * The peers' backend from {@code cluster.peers} (the servers syntax: listed, resolve = true, srv:): the Host
     * header kept (the owner routes the request as this instance would), a quick connect timeout, passive
     * health that takes a peer out at its first failure (its keys go to the others until it answers again). The member that is {@code self} is left out.
     */
    BackendConfig peers(Section cluster, ClusterConfig c, Timeouts timeouts, GlobalSettings global) {
        List<ConfigValue> values = cluster.list("peers");
        if (values.isEmpty()) {
            throw new ConfigError(cluster.keyPath("peers"), "a cluster needs its members (this one included)");
        }
        List<ConfigValue> others = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            ServerConfig s = server(values.get(i), cluster.keyPath("peers") + "[" + i + "]", 0);
            if (!s.isDiscovered() && (s.name().equals(c.selfName()) || c.self().equals(s.address()))) {
                continue;
            }
            others.add(values.get(i));
        }
        if (others.isEmpty()) {
            throw new ConfigError(cluster.keyPath("peers"), "names no member other than self (" + c.selfName() + ")");
        }
        com.typesafe.config.Config peers = com.typesafe.config.ConfigFactory.empty()
                .withValue("servers", com.typesafe.config.ConfigValueFactory.fromIterable(
                        others.stream().map(ConfigValue::unwrapped).toList()))
                .withValue("preserve-host", com.typesafe.config.ConfigValueFactory.fromAnyRef(true))
                .withValue("retries", com.typesafe.config.ConfigValueFactory.fromAnyRef(2))
                .withValue("timeouts.connect", com.typesafe.config.ConfigValueFactory.fromAnyRef("1s"))
                .withValue("passive-health.failures", com.typesafe.config.ConfigValueFactory.fromAnyRef(1))
                .withValue("passive-health.cooldown", com.typesafe.config.ConfigValueFactory.fromAnyRef("5s"));
        return backend(ClusterConfig.PEERS_BACKEND, new Section(peers, cluster.keyPath("peers")), timeouts, global);
    }

    private BackendConfig backend(String name, Section s, Timeouts timeouts, GlobalSettings global) {
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
        // Defaults sized so that any burst within global.max-connections is queued, not refused.
        PoolConfig pool = new PoolConfig(
                p.integer("max-connections", global.maxConnections(), 1, 10_000_000),
                p.integer("max-idle", 64, 0, 1_000_000),
                p.duration("idle-timeout", Duration.ofSeconds(4)),
                p.integer("max-connecting", 64, 1, 1_000_000));
        p.rejectUnknownKeys();
        int maxQueue = s.integer("max-queue", global.maxConnections(), 0, 10_000_000);
        int retries = s.integer("retries", 2, 0, 10);
        double budget = s.has("retry-budget") ? share(s, "retry-budget") : 0.2;
        HealthCheckConfig check = s.has("health-check") ? healthCheck(s.section("health-check")) : null;
        PassiveHealthConfig passive = passiveHealth(s.section("passive-health"));
        Section t = s.section("timeouts");
        Duration connect = t.duration("connect", timeouts.connect());
        Duration server = t.duration("server", timeouts.server());
        Duration queue = t.duration("queue", timeouts.queue());
        t.rejectUnknownKeys();
        List<String> upgrades = new ArrayList<>();
        for (String u : s.stringList("upgrade-protocols", List.of("websocket"))) {
            if (!u.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw s.error("upgrade-protocols", "entries are protocol names such as websocket; got \"" + u + '"');
            }
            upgrades.add(u.toLowerCase(java.util.Locale.ROOT));
        }
        BackendConfig.Protocol protocol = s.choice("protocol", BackendConfig.Protocol.HTTP1);
        if (protocol.multiplexed() && type == BackendConfig.Type.FASTCGI) {
            throw s.error("protocol", "a fastcgi backend speaks FastCGI; h2 and h2c are for HTTP backends");
        }
        BackendTlsConfig tls = tls(s, type, protocol);
        BackendConfig.SendProxy sendProxy = s.choice("send-proxy", BackendConfig.SendProxy.NONE);
        if (sendProxy != BackendConfig.SendProxy.NONE && (type == BackendConfig.Type.FASTCGI || protocol.multiplexed())) {
            throw s.error("send-proxy", "is for HTTP/1.1 backends: a FastCGI server does not read it, and an HTTP/2"
                    + " connection carries many clients' requests");
        }
        BackendConfig.Sticky sticky = s.has("sticky") ? sticky(s.section("sticky"), name) : null;
        String hashCookie = s.string("hash-cookie", null);
        if (hashCookie != null) {
            if (!hashCookie.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw s.error("hash-cookie", "must be a cookie name such as PHPSESSID; got \"" + hashCookie + '"');
            }
            if (balance != BalanceAlgorithm.SOURCE_HASH && balance != BalanceAlgorithm.URI_HASH) {
                throw s.error("hash-cookie", "hashes a cookie's value: set balance = source-hash (or uri-hash) for"
                        + " what to hash when a request has no such cookie");
            }
        }
        s.rejectUnknownKeys();
        return new BackendConfig(name, type, List.copyOf(servers), balance, vnodes, preserveHost, pool, maxQueue,
                retries, budget, check, passive, connect, server, queue, fastcgi, List.copyOf(upgrades), protocol,
                tls, sendProxy, sticky, hashCookie);
    }

    /**
     * The sticky cookies' key when the config sets none: one per process, so reloads keep sessions. In a holder of
     * its own because the JDK's security providers take ~20 ms to set up on a cold JVM, paid only by a config that
     * needs the key.
     */
    private static final class ProcessSecret {
        static final byte[] KEY = new java.security.SecureRandom().generateSeed(32);
    }

    /** {@code sticky { cookie = SERVERID, secret, indirect, nocache, secure, max-age }}. */
    private static BackendConfig.Sticky sticky(Section t, String backend) {
        String cookie = t.string("cookie", "SERVERID");
        if (!cookie.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            throw t.error("cookie", "must be a cookie name; got \"" + cookie + '"');
        }
        String secretText = t.string("secret", null);
        byte[] secret;
        if (secretText == null) {
            secret = ProcessSecret.KEY; // kept across reloads; cookies from before a restart fall back to balancing
        } else if (secretText.length() < 16) {
            throw t.error("secret", "at least 16 characters (it keeps clients from naming a server themselves)");
        } else {
            secret = secretText.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        boolean indirect = t.bool("indirect", true);
        boolean nocache = t.bool("nocache", true);
        boolean secure = t.bool("secure", false);
        Duration maxAge = t.has("max-age") ? t.duration("max-age", Duration.ZERO) : null;
        t.rejectUnknownKeys();
        return new BackendConfig.Sticky(cookie, secret, indirect, nocache, secure, maxAge);
    }

    /** The backend's tls section; tls-verify is the older spelling of tls.verify. */
    private BackendTlsConfig tls(Section s, BackendConfig.Type type, BackendConfig.Protocol protocol) {
        boolean verifyDefault = s.bool("tls-verify", true);
        if (!s.has("tls")) {
            return protocol == BackendConfig.Protocol.H2
                    ? new BackendTlsConfig(true, verifyDefault, null, null, null, null) : BackendTlsConfig.OFF;
        }
        Section t = s.section("tls");
        boolean enabled = t.bool("enabled", protocol == BackendConfig.Protocol.H2);
        if (enabled && type == BackendConfig.Type.FASTCGI) {
            throw t.error("enabled", "php-fpm and other FastCGI servers do not speak TLS");
        }
        if (protocol == BackendConfig.Protocol.H2 && !enabled) {
            throw t.error("enabled", "protocol h2 is HTTP/2 over TLS; for cleartext HTTP/2 use protocol = h2c");
        }
        if (protocol == BackendConfig.Protocol.H2C && enabled) {
            throw t.error("enabled", "protocol h2c is cleartext HTTP/2; for HTTP/2 over TLS use protocol = h2");
        }
        boolean verify = t.bool("verify", verifyDefault);
        Path ca = t.readableFile("ca", baseDir);
        String serverName = t.string("server-name", "");
        if (!serverName.isEmpty() && !serverName.matches("[A-Za-z0-9.-]+")) {
            throw t.error("server-name", "expected a host name such as api.internal; got \"" + serverName + '"');
        }
        Path cert = t.readableFile("client-cert", baseDir);
        Path key = t.readableFile("client-key", baseDir);
        if ((cert == null) != (key == null)) {
            throw t.error(cert == null ? "client-cert" : "client-key", "client-cert and client-key go together");
        }
        t.rejectUnknownKeys();
        return new BackendTlsConfig(enabled, verify, ca, serverName.isEmpty() ? null : serverName, cert, key);
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
        java.util.regex.Pattern pattern = f.regex("script-pattern", "\\.php$");
        Map<String, String> params = new java.util.LinkedHashMap<>();
        Section ps = f.section("params");
        for (String key : ps.keys()) {
            params.put(key, ps.string(key, ""));
        }
        boolean symlinks = f.bool("symlinks-outside-root", false);
        long maxBuffered = f.bytes("max-buffered-body", 1024 * 1024, 0, 1L << 30);
        List<ExpiresRule> expires = new java.util.ArrayList<>();
        List<com.typesafe.config.ConfigValue> rules = f.list("expires");
        for (int i = 0; i < rules.size(); i++) {
            com.typesafe.config.ConfigValue v = rules.get(i);
            String key = f.keyPath("expires") + "[" + i + "]";
            if (v.valueType() != com.typesafe.config.ConfigValueType.OBJECT) {
                throw new ConfigError(key, "expected { path = \"\\\\.(css|js)$\", max-age = 7d }");
            }
            Section r = Section.of((com.typesafe.config.ConfigObject) v, key);
            if (!r.has("path")) {
                throw r.error("path", "required: a regex over the request path, e.g. \"\\\\.(css|js)$\"");
            }
            java.util.regex.Pattern path = r.regex("path", "");
            Duration maxAge = r.duration("max-age", null);
            if (maxAge == null || maxAge.isNegative()) {
                throw r.error("max-age", "required: how long the files may be kept, e.g. 7d");
            }
            expires.add(new ExpiresRule(path, maxAge, r.bool("immutable", false)));
            r.rejectUnknownKeys();
        }
        f.rejectUnknownKeys();
        return new FastCgiConfig(realRoot, index, List.copyOf(tryFiles), pattern, Map.copyOf(params), symlinks,
                maxBuffered, List.copyOf(expires));
    }

    static double share(Section s, String key) {
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
                h.duration("cooldown", Duration.ofSeconds(10)), h.bool("count-5xx", false),
                h.has("panic-threshold") ? share(h, "panic-threshold") : 0.5);
        h.rejectUnknownKeys();
        return c;
    }

    private static ServerConfig server(ConfigValue value, String key, int defaultMaxConns) {
        String address;
        int weight = 1;
        int maxConns = defaultMaxConns;
        boolean resolve = false;
        if (value.valueType() == ConfigValueType.STRING) {
            address = (String) value.unwrapped();
        } else if (value.valueType() == ConfigValueType.OBJECT) {
            Section s = Section.of((ConfigObject) value, key);
            address = s.requiredString("address");
            weight = s.integer("weight", 1, 1, 256);
            maxConns = s.integer("max-conns", defaultMaxConns, 0, 1_000_000);
            resolve = s.bool("resolve", false);
            s.rejectUnknownKeys();
        } else {
            throw new ConfigError(key, "expected \"host:port\", \"unix:/path.sock\", \"srv:_service._tcp.name\" or "
                    + "{ address = ..., weight = N, resolve = true }");
        }
        if (address.startsWith("srv:")) { // SRV records give each server's host, port and weight
            String name = address.substring(4);
            if (!validDnsName(name)) {
                throw new ConfigError(key, "expected srv:_service._proto.name, got \"" + address + '"');
            }
            return new ServerConfig(address, null, null, weight, maxConns, new DnsName(name, 0, true));
        }
        if (resolve) { // every A/AAAA address of the name is a server, re-resolved as the TTLs say
            int colon = address.lastIndexOf(':');
            String host = colon < 0 ? "" : address.substring(0, colon);
            int port = colon < 0 ? -1 : parsePort(address.substring(colon + 1));
            if (!validDnsName(host) || port < 1) {
                throw new ConfigError(key, "resolve = true needs host-name:port, got \"" + address + '"');
            }
            return new ServerConfig(address, null, null, weight, maxConns, new DnsName(host, port, false));
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

    private static boolean validDnsName(String name) {
        return name.length() > 0 && name.length() <= 253 && name.matches("[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9])?\\.?");
    }

    private static int parsePort(String text) {
        try {
            int p = Integer.parseInt(text);
            return p >= 1 && p <= 65535 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A server given at runtime (admin): validated and resolved like one from the file. */
    static ServerConfig runtimeServer(String address, int weight, int maxConns) {
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
