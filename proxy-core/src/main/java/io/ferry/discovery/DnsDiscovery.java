package io.ferry.discovery;

import io.ferry.config.BackendConfig;
import io.ferry.config.ConfigError;
import io.ferry.config.DnsName;
import io.ferry.config.FerryConfig;
import io.ferry.config.ResolversConfig;
import io.ferry.config.ServerConfig;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Servers found by DNS (HAProxy's server-template with resolvers, nginx's {@code resolve}): each
 * discovered entry of the config is looked up with Netty's asynchronous resolver on a thread of its own
 * (never an event loop of the proxy), again when its answer's TTL runs out (clamped to min-ttl and
 * max-ttl); when the set of servers an answer names changes, {@code onChange} runs and the caller builds
 * the configuration again ({@link #applyTo}), which keeps the state of servers still named and drains
 * the ones that left. A failed or empty lookup keeps the last good answer, logged, and is tried again
 * after min-ttl.
 */
public final class DnsDiscovery implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DnsDiscovery.class);

    /** One server an answer names. */
    public record Target(String host, InetAddress address, int port, int weight) {
    }

    private record Answer(List<Target> targets, long ttlMillis) {
    }

    private final ResolversConfig config;
    private final Runnable onChange;
    private final MultiThreadIoEventLoopGroup group;
    private final EventLoop loop;
    private final DnsNameResolver resolver;
    /** The last good answer of each name. */
    private final Map<DnsName, List<Target>> answers = new ConcurrentHashMap<>();
    /** The names the running configuration has; a lookup of a name no longer in it is not repeated. */
    private volatile Set<DnsName> watched = Set.of();
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();

    public DnsDiscovery(ResolversConfig config, Runnable onChange) {
        this.config = config;
        this.onChange = onChange;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("ferry-dns", true), NioIoHandler.newFactory());
        this.loop = group.next();
        DnsNameResolverBuilder b = new DnsNameResolverBuilder(loop)
                .datagramChannelType(NioDatagramChannel.class)
                .resolveCache(NoopDnsCache.INSTANCE) // the TTLs are this class's to honour
                .queryTimeoutMillis(config.timeout().toMillis())
                .searchDomains(List.of())
                .ndots(1);
        b.nameServerProvider(config.nameservers().isEmpty() ? DnsServerAddressStreamProviders.platformDefault()
                : new SequentialDnsServerAddressStreamProvider(config.nameservers().toArray(new InetSocketAddress[0])));
        this.resolver = b.build();
    }

    /** The discovered entries of a configuration. */
    public static Set<DnsName> names(FerryConfig c) {
        Set<DnsName> names = new LinkedHashSet<>();
        for (BackendConfig b : c.backends().values()) {
            for (ServerConfig s : b.servers()) {
                if (s.isDiscovered()) {
                    names.add(s.discover());
                }
            }
        }
        return names;
    }

    /**
     * The configuration {@code c} will run: resolves (waiting, at most the timeout each) the names it has
     * that have no answer yet — a name that cannot be resolved then stops the start or reload with a
     * ConfigError — and watches them from now on.
     */
    public void prepare(FerryConfig c) {
        Set<DnsName> names = names(c);
        for (DnsName n : names) {
            if (!answers.containsKey(n)) {
                Answer a;
                try {
                    a = lookup(n).get(config.timeout().toMillis() * 4 + 1000, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                    throw new ConfigError("server " + n, "DNS lookup failed: " + cause);
                }
                if (a.targets().isEmpty()) {
                    throw new ConfigError("server " + n, "DNS has no " + (n.srv() ? "SRV" : "A/AAAA") + " records for "
                            + n.host());
                }
                answers.put(n, a.targets());
                log.info("{}: {}", n, describe(a.targets()));
                schedule(n, a.ttlMillis());
            }
        }
        watched = Set.copyOf(names);
        answers.keySet().retainAll(names);
    }

    /** {@code c} with each discovered entry replaced by the servers its last good answer names. */
    public FerryConfig applyTo(FerryConfig c) {
        Map<String, BackendConfig> backends = new LinkedHashMap<>(c.backends());
        boolean changed = false;
        for (BackendConfig b : c.backends().values()) {
            if (b.servers().stream().noneMatch(ServerConfig::isDiscovered)) {
                continue;
            }
            List<ServerConfig> servers = new ArrayList<>();
            Set<String> names = new java.util.HashSet<>();
            for (ServerConfig s : b.servers()) {
                if (!s.isDiscovered()) {
                    if (names.add(s.name())) {
                        servers.add(s);
                    }
                    continue;
                }
                for (Target t : answers.getOrDefault(s.discover(), List.of())) {
                    String name = t.host() + ":" + t.port() + "/" + t.address().getHostAddress();
                    if (names.add(name)) {
                        int weight = s.discover().srv() ? Math.max(1, Math.min(256, t.weight())) : s.weight();
                        servers.add(new ServerConfig(name, new InetSocketAddress(t.address(), t.port()), null, weight,
                                s.maxConns()));
                    }
                }
            }
            backends.put(b.name(), b.withServers(servers));
            changed = true;
        }
        return changed ? c.withBackends(backends) : c;
    }

    private void schedule(DnsName n, long ttlMillis) {
        if (closed) {
            return;
        }
        long delay = Math.max(config.minTtl().toMillis(), Math.min(config.maxTtl().toMillis(), ttlMillis));
        loop.schedule(() -> refresh(n), delay, TimeUnit.MILLISECONDS);
    }

    private void refresh(DnsName n) {
        if (closed || !watched.contains(n)) {
            return;
        }
        lookup(n).addListener(f -> {
            if (closed || !watched.contains(n)) {
                return;
            }
            if (!f.isSuccess()) {
                failures.incrementAndGet();
                log.warn("{}: DNS lookup failed ({}); keeping {}", n, f.cause().toString(), describe(answers.get(n)));
                schedule(n, 0);
                return;
            }
            Answer a = (Answer) f.getNow();
            if (a.targets().isEmpty()) {
                failures.incrementAndGet();
                log.warn("{}: DNS answered no records; keeping {}", n, describe(answers.get(n)));
                schedule(n, 0);
                return;
            }
            List<Target> before = answers.put(n, a.targets());
            schedule(n, a.ttlMillis());
            if (before == null || !new LinkedHashSet<>(before).equals(new LinkedHashSet<>(a.targets()))) {
                changes.incrementAndGet();
                log.info("{}: now {} (was {})", n, describe(a.targets()), describe(before));
                try {
                    onChange.run();
                } catch (RuntimeException e) {
                    log.error("{}: applying the new servers failed: {}", n, e.toString());
                }
            }
        });
    }

    private static String describe(List<Target> targets) {
        if (targets == null) {
            return "nothing";
        }
        List<String> s = new ArrayList<>();
        for (Target t : targets) {
            s.add(t.address().getHostAddress() + ":" + t.port() + (t.weight() != 1 ? " weight " + t.weight() : ""));
        }
        return String.join(", ", s);
    }

    /** One lookup: A and AAAA of a name, or its SRV records and their targets' addresses. */
    private Future<Answer> lookup(DnsName n) {
        Promise<Answer> done = loop.newPromise();
        loop.execute(() -> {
            if (!n.srv()) {
                addresses(n.host()).addListener(f -> {
                    if (!f.isSuccess()) {
                        done.tryFailure(f.cause());
                        return;
                    }
                    Answer a = (Answer) f.getNow();
                    List<Target> targets = new ArrayList<>();
                    for (Target t : a.targets()) {
                        targets.add(new Target(n.host(), t.address(), n.port(), 1));
                    }
                    done.trySuccess(new Answer(List.copyOf(targets), a.ttlMillis()));
                });
                return;
            }
            resolver.resolveAll(new DefaultDnsQuestion(n.host(), DnsRecordType.SRV)).addListener(f -> {
                if (!f.isSuccess()) {
                    done.tryFailure(f.cause());
                    return;
                }
                @SuppressWarnings("unchecked")
                List<DnsRecord> records = (List<DnsRecord>) f.getNow();
                List<int[]> fields = new ArrayList<>();
                List<String> hosts = new ArrayList<>();
                long ttl = Long.MAX_VALUE;
                try {
                    for (DnsRecord r : records) {
                        if (r instanceof DnsRawRecord raw && r.type() == DnsRecordType.SRV) {
                            ByteBuf data = raw.content().duplicate();
                            int priority = data.readUnsignedShort();
                            int weight = data.readUnsignedShort();
                            int port = data.readUnsignedShort();
                            String target = DefaultDnsRecordDecoder.decodeName(data);
                            fields.add(new int[] {priority, weight, port});
                            hosts.add(target.endsWith(".") ? target.substring(0, target.length() - 1) : target);
                            ttl = Math.min(ttl, r.timeToLive() * 1000L);
                        }
                    }
                } finally {
                    records.forEach(ReferenceCountUtil::release);
                }
                srvTargets(fields, hosts, ttl == Long.MAX_VALUE ? 0 : ttl, done);
            });
        });
        return done;
    }

    /**
     * The addresses of each SRV target, of the best (lowest) priority only — the others are backups RFC
     * 2782 uses when those fail, which health checks do here.
     */
    private void srvTargets(List<int[]> fields, List<String> hosts, long ttl, Promise<Answer> done) {
        int best = Integer.MAX_VALUE;
        for (int[] f : fields) {
            best = Math.min(best, f[0]);
        }
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i)[0] == best) {
                chosen.add(i);
            }
        }
        if (chosen.isEmpty()) {
            done.trySuccess(new Answer(List.of(), ttl));
            return;
        }
        List<Target> targets = new ArrayList<>();
        long[] minTtl = {ttl};
        int[] left = {chosen.size()};
        for (int i : chosen) {
            int[] f = fields.get(i);
            String host = hosts.get(i);
            addresses(host).addListener(r -> {
                if (r.isSuccess()) {
                    Answer a = (Answer) r.getNow();
                    for (Target t : a.targets()) {
                        targets.add(new Target(host, t.address(), f[2], f[1]));
                    }
                    minTtl[0] = Math.min(minTtl[0], a.ttlMillis());
                } else {
                    log.warn("SRV target {}: no address ({})", host, r.cause().toString());
                }
                if (--left[0] == 0) {
                    done.trySuccess(new Answer(List.copyOf(targets), minTtl[0]));
                }
            });
        }
    }

    /** The A and AAAA records of a host (an IP literal is itself), with the smaller TTL. */
    private Future<Answer> addresses(String host) {
        Promise<Answer> done = loop.newPromise();
        if (io.netty.util.NetUtil.isValidIpV4Address(host) || io.netty.util.NetUtil.isValidIpV6Address(host)) {
            done.setSuccess(new Answer(List.of(new Target(host, io.netty.util.NetUtil.createInetAddressFromIpAddressString(host),
                    0, 1)), Long.MAX_VALUE));
            return done;
        }
        List<Target> found = new ArrayList<>();
        long[] ttl = {Long.MAX_VALUE};
        int[] left = {2};
        Throwable[] failure = {null};
        for (DnsRecordType type : new DnsRecordType[] {DnsRecordType.A, DnsRecordType.AAAA}) {
            resolver.resolveAll(new DefaultDnsQuestion(host, type)).addListener(f -> {
                if (f.isSuccess()) {
                    @SuppressWarnings("unchecked")
                    List<DnsRecord> records = (List<DnsRecord>) f.getNow();
                    try {
                        for (DnsRecord r : records) {
                            if (r instanceof DnsRawRecord raw && (r.type() == DnsRecordType.A || r.type() == DnsRecordType.AAAA)) {
                                byte[] bytes = io.netty.buffer.ByteBufUtil.getBytes(raw.content());
                                found.add(new Target(host, InetAddress.getByAddress(bytes), 0, 1));
                                ttl[0] = Math.min(ttl[0], r.timeToLive() * 1000L);
                            }
                        }
                    } catch (java.net.UnknownHostException e) {
                        failure[0] = e;
                    } finally {
                        records.forEach(ReferenceCountUtil::release);
                    }
                } else {
                    failure[0] = f.cause();
                }
                if (--left[0] == 0) {
                    if (found.isEmpty() && failure[0] != null) {
                        done.tryFailure(failure[0]);
                    } else {
                        found.sort(java.util.Comparator.comparing(t -> t.address().getHostAddress()));
                        done.trySuccess(new Answer(List.copyOf(found), ttl[0] == Long.MAX_VALUE ? 0 : ttl[0]));
                    }
                }
            });
        }
        return done;
    }

    /** Background lookups that failed or came back empty (the last good answer stayed). */
    public long lookupsFailed() {
        return failures.get();
    }

    /** Background lookups whose answer named other servers than before. */
    public long answersChanged() {
        return changes.get();
    }

    /** The names watched now (for status). */
    public Collection<DnsName> watched() {
        return watched;
    }

    @Override
    public void close() {
        closed = true;
        resolver.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
