package io.ferry.admin;

import io.ferry.cache.CacheStats;
import io.ferry.cache.HttpCache;
import io.ferry.config.AdminConfig;
import io.ferry.config.Cidr;
import io.ferry.config.ConfigError;

import io.ferry.transport.StartupError;
import io.ferry.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener. GET: {@code /health}, {@code /ready}, {@code /status} (JSON), {@code /metrics}
 * (Prometheus), {@code /config} (secrets redacted), {@code /stats} (live HTML page), {@code /cache/stats}.
 * POST: {@code /reload}, {@code /servers/drain|enable}, {@code /cache/purge|ban|tags}, {@code /logs/reopen}.
 * Clients outside {@code admin.allow} or without the bearer token (when one is set) get 403 and a log
 * line. A reload reads files and builds TLS contexts, so it runs on its own thread, never on an event loop.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final EventLoopGroup group;
    private final Channel channel;
    private final ExecutorService reloads = Executors.newSingleThreadExecutor(new DefaultThreadFactory("ferry-reload"));
    private final List<Cidr> allow;
    private final String token;
    /** The stats page's 15 minutes; touched on the admin loop only (its one thread). */
    private final StatsHistory history;

    private AdminServer(ProxyControl ferry, AdminConfig config, Transport transport,
                        io.ferry.handover.HandedOverSockets handedOver) {
        List<Cidr> nets = new java.util.ArrayList<>();
        for (String c : config.allow()) {
            nets.add(Cidr.parse(c));
        }
        this.allow = List.copyOf(nets);
        this.token = config.token();
        this.group = transport.newGroup(1, new DefaultThreadFactory("ferry-admin"));
        io.netty.channel.EventLoop loop = group.next();
        this.history = loop.submit(() -> new StatsHistory(ferry, System::nanoTime)).syncUninterruptibly().getNow();
        loop.scheduleAtFixedRate(history::step, StatsHistory.STEP_MILLIS, StatsHistory.STEP_MILLIS, TimeUnit.MILLISECONDS);
        try {
            ServerBootstrap b = new ServerBootstrap().group(group)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                    new HttpObjectAggregator(64 * 1024), new Endpoints(ferry));
                        }
                    });
            this.channel = handedOver.bind(b, transport, config.bind(), config.port(), -1).syncUninterruptibly().channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            reloads.shutdown();
            throw new StartupError("ferry.admin: cannot listen on " + config.bind() + ":" + config.port() + ": "
                    + e.getMessage(), e);
        }
        log.info("admin listener on {}", channel.localAddress());
    }

    public static AdminServer start(ProxyControl ferry, AdminConfig config, Transport transport) {
        return start(ferry, config, transport, io.ferry.handover.HandedOverSockets.none());
    }

    /** Starts on the socket {@code handedOver} holds for the admin address, if any (an upgrade), else binds. */
    public static AdminServer start(ProxyControl ferry, AdminConfig config, Transport transport,
                                    io.ferry.handover.HandedOverSockets handedOver) {
        return new AdminServer(ferry, config, transport, handedOver);
    }

    /** Compared in constant time: how long a refusal takes says nothing of how much of the token was right. */
    private boolean tokenGiven(FullHttpRequest req) {
        String given = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        return given != null && java.security.MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                ("Bearer " + token).getBytes(StandardCharsets.UTF_8));
    }

    private boolean allowed(java.net.InetAddress address) {
        return Cidr.anyContains(allow, address);
    }

    /** The listening channel (an upgrade hands its socket over). */
    public Channel channel() {
        return channel;
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        reloads.shutdown();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Endpoints extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ProxyControl ferry;

        Endpoints(ProxyControl ferry) {
            this.ferry = ferry;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
            if (!allowed(remote.getAddress())) {
                log.warn("admin: refused {} {} from {} (not in admin.allow)", req.method(), req.uri(), remote);
                respond(ctx, HttpResponseStatus.FORBIDDEN, "forbidden\n");
                return;
            }
            QueryStringDecoder query = new QueryStringDecoder(req.uri());
            String path = query.path();
            boolean page = req.method() == HttpMethod.GET && (path.equals("/") || path.equals("/stats"));
            if (token != null && !page && !tokenGiven(req)) { // the page holds no data: it asks for the token itself
                log.warn("admin: refused {} {} from {} (missing or wrong bearer token)", req.method(), req.uri(), remote);
                respond(ctx, HttpResponseStatus.UNAUTHORIZED, "a bearer token is required (admin.token)\n",
                        "text/plain; charset=utf-8", "Bearer realm=\"ferry admin\"");
                return;
            }
            if (path.startsWith("/cache/")) {
                cacheEndpoint(ctx, req.method(), path, query);
                return;
            }
            if (path.equals("/log") && req.method() == HttpMethod.GET) {
                watchLog(ctx, query);
                return;
            }
            if (req.method() == HttpMethod.GET && getEndpoint(ctx, path)) {
                return;
            }
            if (req.method() == HttpMethod.POST && path.startsWith("/servers/")) {
                serverEndpoint(ctx, path, query);
                return;
            }
            if (req.method() == HttpMethod.POST && path.equals("/logs/reopen")) {
                boolean reopened = ferry.reopenAccessLog();
                respond(ctx, reopened ? HttpResponseStatus.OK : HttpResponseStatus.NOT_FOUND,
                        reopened ? "reopened\n" : "access log disabled\n");
                return;
            }
            if (path.equals("/health") && req.method() == HttpMethod.GET) {
                respond(ctx, HttpResponseStatus.OK, "ok\n");
            } else if (path.equals("/reload") && req.method() == HttpMethod.POST) {
                CompletableFuture.runAsync(ferry::reloadFromSource, reloads).whenComplete((ok, error) ->
                        ctx.executor().execute(() -> {
                            if (error == null) {
                                respond(ctx, HttpResponseStatus.OK, "reloaded\n");
                            } else {
                                Throwable cause = error.getCause() != null ? error.getCause() : error;
                                String message = cause instanceof ConfigError ? cause.getMessage() : cause.toString();
                                log.error("reload failed, keeping the running configuration: {}", message);
                                respond(ctx, HttpResponseStatus.BAD_REQUEST, "reload failed: " + message + "\n");
                            }
                        }));
            } else if (path.equals("/health") || path.equals("/reload")) {
                respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            } else {
                respond(ctx, HttpResponseStatus.NOT_FOUND, "not found\n");
            }
        }

        /**
         * GET /log?host=&path=&status=&client=&cache=: the live request log, a line per finished request that
         * matches, streamed (chunked) until the client goes; lines a slow reader cannot take are dropped.
         */
        private void watchLog(ChannelHandlerContext ctx, QueryStringDecoder q) {
            io.ferry.accesslog.LiveLog.Filter filter = new io.ferry.accesslog.LiveLog.Filter(first(q, "host"),
                    first(q, "path"), first(q, "status"), first(q, "client"), first(q, "cache"));
            io.netty.handler.codec.http.HttpResponse head = new io.netty.handler.codec.http.DefaultHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .set(HttpHeaderNames.TRANSFER_ENCODING, io.netty.handler.codec.http.HttpHeaderValues.CHUNKED)
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            ctx.write(head);
            ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultHttpContent(Unpooled.copiedBuffer(
                    "# Ferry live request log, " + filter + "\n", StandardCharsets.UTF_8)));
            io.netty.channel.Channel ch = ctx.channel();
            Runnable stop = ferry.liveLog().watch(filter, line -> {
                if (!ch.isActive() || !ch.isWritable()) {
                    return false;
                }
                ch.writeAndFlush(new io.netty.handler.codec.http.DefaultHttpContent(
                        Unpooled.copiedBuffer(line, StandardCharsets.UTF_8)), ch.voidPromise());
                return true;
            });
            ch.closeFuture().addListener(f -> stop.run());
            log.info("admin: live request log watched from {} ({})", ch.remoteAddress(), filter);
        }

        /** The read-only endpoints; false when {@code path} is not one of them. */
        private boolean getEndpoint(ChannelHandlerContext ctx, String path) {
            switch (path) {
                case "/health" -> respond(ctx, HttpResponseStatus.OK, "ok\n");
                case "/ready" -> respond(ctx, ferry.isReady() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        ferry.isReady() ? "ready\n" : "draining\n");
                case "/metrics" -> respond(ctx, HttpResponseStatus.OK, ferry.metrics().scrape(), io.ferry.metrics.ProxyMetrics.contentType());
                case "/status" -> respond(ctx, HttpResponseStatus.OK, StatusJson.render(ferry), "application/json");
                case "/history" -> respond(ctx, HttpResponseStatus.OK, history.render(), "application/json");
                case "/config" -> respond(ctx, HttpResponseStatus.OK, ferry.config().rendered() + "\n", "application/json");
                case "/", "/stats" -> respond(ctx, HttpResponseStatus.OK, StatsPage.HTML, "text/html; charset=utf-8");
                default -> {
                    return false;
                }
            }
            return true;
        }

        /**
         * POST /servers/drain or /servers/enable ?backend=&server= (HAProxy's disable/enable server);
         * /servers/add ?backend=&server=&weight= and /servers/remove ?backend=&server= (kept across reloads).
         */
        private void serverEndpoint(ChannelHandlerContext ctx, String path, QueryStringDecoder q) {
            if (path.equals("/servers/add") || path.equals("/servers/remove")) {
                String backendName = first(q, "backend");
                String server = first(q, "server");
                String weight = first(q, "weight");
                CompletableFuture.runAsync(() -> {
                    if (path.equals("/servers/add")) {
                        ferry.addServer(backendName, server, weight == null ? 1 : Integer.parseInt(weight));
                    } else {
                        ferry.removeServer(backendName, server);
                    }
                }, reloads).whenComplete((ok, error) -> ctx.executor().execute(() -> {
                    if (error == null) {
                        respond(ctx, HttpResponseStatus.OK, (path.endsWith("add") ? "added " : "removed ") + server + "\n");
                    } else {
                        Throwable cause = error.getCause() != null ? error.getCause() : error;
                        respond(ctx, HttpResponseStatus.BAD_REQUEST, "refused: " + cause.getMessage() + "\n");
                    }
                }));
                return;
            }
            boolean drain = path.equals("/servers/drain");
            if (!drain && !path.equals("/servers/enable")) {
                respond(ctx, HttpResponseStatus.NOT_FOUND, "not found\n");
                return;
            }
            io.ferry.upstream.Backend backend = ferry.backends().get(first(q, "backend"));
            if (backend == null) {
                respond(ctx, HttpResponseStatus.NOT_FOUND, "no backend " + first(q, "backend") + "\n");
                return;
            }
            String name = first(q, "server");
            for (io.ferry.upstream.ServerPool s : backend.servers()) {
                if (s.name().equals(name)) {
                    s.drain(drain);
                    if (!drain) {
                        backend.wakeOne();
                    }
                    ferry.serverStateChanged();
                    log.warn("admin: backend {} server {} {}", backend.name(), name, drain ? "DRAINED" : "ENABLED");
                    respond(ctx, HttpResponseStatus.OK, (drain ? "drained " : "enabled ") + name + "\n");
                    return;
                }
            }
            respond(ctx, HttpResponseStatus.NOT_FOUND, "no server " + name + " in backend " + backend.name() + "\n");
        }

        /**
         * GET /cache/stats; POST /cache/purge?host=&path= (one URL, all variants),
         * POST /cache/ban?host=&path= (regexes), POST /cache/tags?tag=a&tag=b (Surrogate-Key / Cache-Tags).
         */
        private void cacheEndpoint(ChannelHandlerContext ctx, HttpMethod method, String path, QueryStringDecoder q) {
            HttpCache cache = ferry.cache();
            if (cache == null) {
                respond(ctx, HttpResponseStatus.NOT_FOUND, "cache disabled (cache.enabled = false)\n");
                return;
            }
            if (path.equals("/cache/stats") && method == HttpMethod.GET) {
                CacheStats s = cache.stats();
                respond(ctx, HttpResponseStatus.OK, String.format(
                        "{\"objects\":%d,\"bytes\":%d,\"hits\":%d,\"grace_hits\":%d,\"misses\":%d,\"passes\":%d,"
                                + "\"hit_for_miss\":%d,\"coalesced_waits\":%d,\"stored\":%d,\"evictions\":%d,"
                                + "\"revalidations\":%d,\"stale_on_error\":%d,\"purged\":%d}%n",
                        cache.objects(), cache.bytes(), s.hits(), s.graceHits(), s.misses(), s.passes(), s.hitForMiss(),
                        s.coalescedWaits(), s.stored(), s.evictions(), s.revalidations(), s.staleOnError(), s.purged()));
                return;
            }
            if (method != HttpMethod.POST) {
                respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "use POST\n");
                return;
            }
            String host = first(q, "host");
            String target = first(q, "path");
            int n;
            io.ferry.cluster.PeerMessenger.Message forPeers;
            try {
                switch (path) {
                    case "/cache/purge" -> {
                        if (host == null || target == null) {
                            respond(ctx, HttpResponseStatus.BAD_REQUEST, "purge needs host= and path=\n");
                            return;
                        }
                        n = cache.purge(HttpCache.primaryKey(host, target));
                        forPeers = peerMessage("PURGE", target, Map.of("Host", host));
                    }
                    case "/cache/ban" -> {
                        cache.ban(host == null ? null : Pattern.compile(host),
                                target == null ? null : Pattern.compile(target));
                        Map<String, String> fields = new java.util.LinkedHashMap<>();
                        fields.put("Host", "ferry-admin");
                        if (host != null) {
                            fields.put("X-Ban-Host", host);
                        }
                        fields.put("X-Ban-Path", target == null ? "." : target);
                        answerWithPeers(ctx, "ban added: matching objects stored before it are gone",
                                peerMessage("BAN", "/", fields));
                        return;
                    }
                    case "/cache/tags" -> {
                        List<String> tags = q.parameters().getOrDefault("tag", List.of());
                        if (tags.isEmpty()) {
                            respond(ctx, HttpResponseStatus.BAD_REQUEST, "tags needs tag=...\n");
                            return;
                        }
                        n = cache.purgeTags(tags);
                        forPeers = peerMessage("PURGE", "/", Map.of("Host", "ferry-admin", "xkey", String.join(" ", tags)));
                    }
                    default -> {
                        respond(ctx, HttpResponseStatus.NOT_FOUND, "not found\n");
                        return;
                    }
                }
            } catch (PatternSyntaxException e) {
                respond(ctx, HttpResponseStatus.BAD_REQUEST, "bad pattern: " + e.getDescription() + "\n");
                return;
            }
            log.info("admin {}: removed {} objects", q.uri(), n);
            answerWithPeers(ctx, "removed " + n + " objects", forPeers);
        }

        private static io.ferry.cluster.PeerMessenger.Message peerMessage(String method, String target, Map<String, String> fields) {
            return new io.ferry.cluster.PeerMessenger.Message(method, target, List.copyOf(fields.entrySet()));
        }

        /** The local answer, once the fleet's peers (if any) have answered too: a line per peer. */
        private void answerWithPeers(ChannelHandlerContext ctx, String local, io.ferry.cluster.PeerMessenger.Message m) {
            ferry.toPeers(m).thenAccept(replies -> ctx.executor().execute(() -> {
                StringBuilder body = new StringBuilder(local).append('\n');
                for (io.ferry.cluster.PeerMessenger.Reply r : replies) {
                    body.append("peer ").append(r.peer()).append(r.applied() ? ": applied, " : ": NOT applied, ")
                            .append(r.detail()).append('\n');
                }
                respond(ctx, HttpResponseStatus.OK, body.toString());
            }));
        }

        private static String first(QueryStringDecoder q, String name) {
            List<String> v = q.parameters().get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
            respond(ctx, status, body, "text/plain; charset=utf-8");
        }

        private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String body, String contentType) {
            respond(ctx, status, body, contentType, null);
        }

        private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String body, String contentType,
                             String authenticate) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.wrappedBuffer(bytes));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            if (authenticate != null) {
                res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, authenticate);
            }
            ctx.writeAndFlush(res);
        }
    }
}
