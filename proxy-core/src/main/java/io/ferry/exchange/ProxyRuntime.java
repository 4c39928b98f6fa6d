package io.ferry.exchange;

import io.ferry.config.Cidr;
import io.ferry.config.FerryConfig;
import io.ferry.config.ListenerConfig;
import io.ferry.config.TlsConfig;
import io.ferry.config.RouteConfig;
import io.ferry.config.RulesConfig;
import io.ferry.rules.BasicAuth;
import io.ferry.rules.Limiter;
import io.ferry.rules.RequestRuleSet;
import io.ferry.rules.ResponseRuleSet;
import io.ferry.http.ForwardedHeaders;
import io.ferry.http.RealIp;
import io.ferry.route.Router;
import io.ferry.upstream.Backend;
import io.ferry.upstream.Upstreams;
import io.ferry.tls.ServerTls;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one loaded configuration puts on the request path. A reload builds a new one and swaps
 * it in; an exchange keeps the runtime it started with until it ends, so in-flight requests finish
 * on the old routes and pools.
 */
public final class ProxyRuntime {
    public final FerryConfig config;
    public final Upstreams upstreams;
    final Router<RouteTarget> router;
    /** The shared cache, or null when cache.enabled is false. */
    public final CacheFront cache;
    final ForwardedHeaders forwarded;
    public final Map<String, ServerTls> tls;
    /** The client behind trusted proxies, or null when real-ip is not configured. */
    final RealIp realIp;
    /** Some listener asks for client certificates: X-Client-Cert-Subject is Ferry's to set, on every listener. */
    final boolean clientCertificates;
    private final Map<String, Listener> listeners;
    /** rules.request and rules.response, compiled; empty sets cost one check per request. */
    final RequestRuleSet requestRules;
    final ResponseRuleSet responseRules;
    final RulesConfig.RequestId requestId;
    /** rules.limits' tables, kept from the previous runtime where a limit's settings did not change. */
    public final Map<String, Limiter> limiters;
    /** rules.auth's user lists, with the credentials they remember (kept across a reload when unchanged). */
    final Map<String, BasicAuth> auth;
    /**
     * The way in, in order: each phase may answer, make the exchange wait, or let the next run; after the
     * last the origin gets the request. A new request rule is one phase in this list.
     */
    final RequestPhase[] requestPhases = {
        new ClientIdentityPhase(), new ValidationPhase(), new RequestIdPhase(), new TracePhase(), new RulesPhase(),
        new RoutingPhase(),
        new ClusterPhase.Marker(), new InvalidationPhase(), new CachePolicyPhase(), new ClusterPhase.Shard(),
        new FastCgiMappingPhase(), new CacheLookupPhase()
    };
    /** The way out, in order, for an origin's response. */
    final ResponsePhase[] responsePhases = {
        new HopByHopResponsePhase(), new ErrorPagePhase(), new EsiPhase.Detection(), new CompressionPhase(),
        new CacheResponsePhase(), new ForwardingResponsePhase(), new EsiPhase.Assembly()
    };

    public ProxyRuntime(FerryConfig config, Upstreams upstreams, Map<String, ServerTls> tls, ProxyRuntime previous) {
        this(config, upstreams, tls, previous, System::currentTimeMillis);
    }

    /** @param cacheClock the cache's clock, epoch milliseconds (tests move their own) */
    public ProxyRuntime(FerryConfig config, Upstreams upstreams, Map<String, ServerTls> tls, ProxyRuntime previous,
                        java.util.function.LongSupplier cacheClock) {
        this.config = config;
        this.upstreams = upstreams;
        this.router = Router.build(config.routes(), RouteConfig::hosts, RouteConfig::pathPrefix,
                r -> new RouteTarget(r.name(), upstreams.backend(r.backend()), r.cache(), r.redirectHttps(), r.compression(),
                        r.esi()));
        this.cache = !config.cache().enabled() ? null
                : new CacheFront(config.cache(), reusableCache(previous, config), cacheClock);
        this.forwarded = new ForwardedHeaders(config.global().via());
        this.tls = Map.copyOf(tls);
        this.realIp = config.realIp() == null ? null : new RealIp(config.realIp());
        Map<String, Listener> byName = new HashMap<>();
        for (ListenerConfig l : config.listeners()) {
            byName.put(l.name(), Listener.of(l));
        }
        if (previous != null) { // connections of a listener a reload removed finish with its settings
            previous.listeners.forEach(byName::putIfAbsent);
        }
        this.listeners = Map.copyOf(byName);
        this.limiters = RequestRuleSet.limiters(config.rules().limits(), previous == null ? Map.of() : previous.limiters);
        this.auth = RequestRuleSet.auth(config.rules().auth(), previous == null ? Map.of() : previous.auth);
        this.requestRules = RequestRuleSet.compile(config.rules().request(), config.rules().maps(), limiters, auth);
        this.responseRules = ResponseRuleSet.compile(config.rules().response(), config.rules().maps());
        this.requestId = config.rules().requestId();
        this.clientCertificates = byName.values().stream().anyMatch(Listener::verifiesClients);
        this.cluster = config.cluster() == null ? null
                : Cluster.of(config.cluster(), upstreams.backend(io.ferry.config.ClusterConfig.PEERS_BACKEND));
        this.messenger = previous == null ? null : previous.messenger;
        this.live = previous == null ? null : previous.live;
        this.spans = previous == null ? null : previous.spans;
        this.esiAnywhere = config.routes().stream().anyMatch(r -> r.esi() == io.ferry.config.EsiConfig.RouteMode.ON
                || r.esi() == io.ferry.config.EsiConfig.RouteMode.AUTO && config.esi().surrogateControl());
    }

    /** A listener of this configuration by name, or null. */
    public Listener listener(String name) {
        return listeners.get(name);
    }

    /**
     * A listener as connections and exchanges use it: its config, with what is derived from it once
     * rather than per connection or request.
     *
     * @param proxyProtocolFrom the networks allowed to send a PROXY header, parsed
     */
    public record Listener(ListenerConfig config, List<Cidr> proxyProtocolFrom) {
        public static Listener of(ListenerConfig config) {
            return new Listener(config, config.proxyProtocolFrom().stream().map(Cidr::parse).toList());
        }

        /** Whether it asks its clients for certificates. */
        boolean verifiesClients() {
            return config.tls() != null && config.tls().verifyClient() != TlsConfig.ClientVerify.NONE;
        }

        /** The Strict-Transport-Security value of a TLS listener, or null. */
        String hsts() {
            return config.tls() == null ? null : config.tls().hsts();
        }
    }

    /** A reload keeps the stored objects when the cache's size and lifetimes did not change. */
    private static io.ferry.cache.HttpCache reusableCache(ProxyRuntime previous, FerryConfig config) {
        if (previous == null || previous.cache == null) {
            return null;
        }
        return previous.cache.cache.settings().equals(CacheFront.settings(config.cache())) ? previous.cache.cache : null;
    }

    /**
     * What a route leads to: its name (for metrics), a backend, whether the cache may answer, and the
     * redirect its plain-HTTP requests get instead (or null).
     */
    record RouteTarget(String name, Backend backend, boolean cache, ListenerConfig.HttpsRedirect redirectHttps,
                       io.ferry.config.CompressionConfig compression, io.ferry.config.EsiConfig.RouteMode esi) {
    }

    /** The fleet this instance is in (cluster section), or null. */
    public final Cluster cluster;
    /** Exports spans (tracing.endpoint), or null; set by the server, kept across reloads. */
    public volatile io.ferry.tracing.SpanExporter spans;
    /** The live request log (admin GET /log); set by the server, kept across reloads. */
    public volatile io.ferry.accesslog.LiveLog live;
    /** Sends invalidations on to the peers; set by the server, kept across reloads (its retries with it). */
    public volatile io.ferry.cluster.PeerMessenger messenger;

    /**
     * The fleet as this configuration sees it: the peers' backend, the ring over it and this instance, and
     * the peers' addresses (the only ones whose Ferry-Peer field is believed).
     */
    public record Cluster(io.ferry.config.ClusterConfig config, Backend peers, io.ferry.cluster.ShardRing ring,
                          java.util.Set<java.net.InetAddress> addresses) {
        static Cluster of(io.ferry.config.ClusterConfig config, Backend peers) {
            java.util.Set<java.net.InetAddress> addresses = new java.util.HashSet<>();
            for (io.ferry.upstream.ServerPool p : peers.servers()) {
                if (p.remoteAddress() instanceof java.net.InetSocketAddress a && a.getAddress() != null) {
                    addresses.add(a.getAddress());
                }
            }
            return new Cluster(config, peers, io.ferry.cluster.ShardRing.of(config.self(), peers.servers()),
                    java.util.Set.copyOf(addresses));
        }

        boolean isPeer(java.net.InetAddress a) {
            return a != null && addresses.contains(a);
        }

        /** The peers' addresses, this instance's left out. */
        public java.util.List<java.net.InetSocketAddress> others() {
            java.util.List<java.net.InetSocketAddress> list = new java.util.ArrayList<>();
            String self = io.ferry.cluster.ShardRing.memberName(config.self());
            for (io.ferry.upstream.ServerPool p : peers.servers()) {
                if (p.remoteAddress() instanceof java.net.InetSocketAddress a
                        && !io.ferry.cluster.ShardRing.memberName(a).equals(self)) {
                    list.add(a);
                }
            }
            return list;
        }
    }

    /** Some route may assemble ESI: requests keep the client's credentials for their includes. */
    final boolean esiAnywhere;

    /** Whether a response of {@code route} may be an ESI template Ferry assembles. */
    boolean esiAvailable(RouteTarget route) {
        return route.esi() == io.ferry.config.EsiConfig.RouteMode.ON
                || route.esi() == io.ferry.config.EsiConfig.RouteMode.AUTO && config.esi().surrogateControl();
    }
}
