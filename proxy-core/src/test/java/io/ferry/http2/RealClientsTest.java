package io.ferry.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.TestOrigin;
import io.ferry.testing.TrustAll;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real HTTP/2 clients through Ferry, on both listeners: the JDK HttpClient, Netty's HTTP/2 client
 * multiplexing many streams, curl with ALPN and with prior knowledge, h2load, and headless Chromium
 * (whose network log must show h2 negotiated). An HTTP/1.1 client asking to upgrade to h2c is answered
 * as HTTP/1.1 and the upgrade never reaches the backend.
 */
@Tag("external")
class RealClientsTest {
    private static TestOrigin origin;
    private static FerryHarness ferry;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        origin = TestOrigin.start(r -> TestOrigin.Reply.ok(r.method() + " " + r.uri() + " " + r.body().length));
        ferry = FerryHarness.start("""
                ferry {
                  listeners = [
                    { name = http, bind = "127.0.0.1", port = 0 }
                    { name = https, bind = "127.0.0.1", port = 0, tls { } }
                  ]
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  timeouts.shutdown = 1s
                }
                """.formatted(origin.port()));
    }

    @AfterAll
    static void stop() {
        ferry.close();
        origin.close();
    }

    private static String https(String path) {
        return "https://localhost:" + ferry.port("https") + path;
    }

    private static String http(String path) {
        return "http://127.0.0.1:" + ferry.port("http") + path;
    }

    @Test
    void jdkHttpClientSpeaksH2OverTls() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(TrustAll.context()).version(HttpClient.Version.HTTP_2)
                .build();
        HttpResponse<String> get = client.send(HttpRequest.newBuilder(URI.create(https("/jdk"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, get.version());
        assertEquals("GET /jdk 0", get.body());
        byte[] upload = new byte[300 * 1024];
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create(https("/upload")))
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, post.version());
        assertEquals("POST /upload " + upload.length, post.body(), "a request body larger than the window arrives whole");
    }

    @Test
    void anH2cUpgradeIsAnsweredAsHttp11AndNeverTunnelled() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> res = client.send(HttpRequest.newBuilder(URI.create(http("/h2c"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_1_1, res.version(), "the JDK client asked for h2c; Ferry stays on 1.1");
        assertEquals("GET /h2c 0", res.body());
        TestOrigin.Received got = origin.requests().stream().filter(r -> r.uri().equals("/h2c")).findFirst()
                .orElseThrow();
        assertNull(got.headers().get("upgrade"));
        assertNull(got.headers().get("http2-settings"));
    }

    @Test
    void nettyHttp2ClientMultiplexesManyStreamsOnOneConnection() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel conn = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                    new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        }
                    }).connect("127.0.0.1", ferry.port("http")).sync().channel();
            List<CompletableFuture<String>> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                CompletableFuture<String> answer = new CompletableFuture<>();
                answers.add(answer);
                Http2StreamChannel stream = new Http2StreamChannelBootstrap(conn)
                        .handler(new ChannelInitializer<Http2StreamChannel>() {
                            @Override
                            protected void initChannel(Http2StreamChannel ch) {
                                ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false),
                                        new HttpObjectAggregator(1 << 20),
                                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                                            @Override
                                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                                answer.complete(r.status().code() + " "
                                                        + r.content().toString(StandardCharsets.UTF_8));
                                            }
                                        });
                            }
                        }).open().sync().getNow();
                stream.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("GET")
                        .scheme("http").path("/netty/" + i).authority("site.test"), true));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertEquals("200 GET /netty/" + i + " 0", answers.get(i).get(10, TimeUnit.SECONDS));
            }
            conn.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        return out;
    }

    @Test
    void curlWithAlpnAndWithPriorKnowledge() throws Exception {
        String format = "%{http_version} %{http_code}";
        assertEquals("2 200", run("curl", "-sk", "--http2", "-o", "/dev/null", "-w", format, https("/curl")));
        assertEquals("2 200", run("curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", format,
                http("/curl")));
        assertEquals("1.1 200", run("curl", "-s", "--http1.1", "-o", "/dev/null", "-w", format, http("/curl")),
                "HTTP/1.1 on the same cleartext listener");
    }

    @Test
    void h2loadOnBothListeners() throws Exception {
        for (String url : List.of(http("/load"), https("/load"))) {
            String out = run("h2load", "-n", "400", "-c", "4", "-m", "10", url);
            assertTrue(out.contains("400 succeeded, 0 failed, 0 errored"), out);
            assertTrue(out.contains("400 2xx"), out);
        }
    }

    @Test
    void headlessChromiumLoadsTheStatsPageOverH2() throws Exception {
        int adminPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            adminPort = s.getLocalPort();
        }
        try (FerryHarness withAdmin = FerryHarness.start("""
                ferry {
                  listeners = [ { name = https, bind = "127.0.0.1", port = 0, tls { } } ]
                  backends.admin.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = admin } ]
                  admin { enabled = true, bind = "127.0.0.1", port = %d }
                  timeouts.shutdown = 1s
                }
                """.formatted(adminPort, adminPort))) {
            Path netLog = dir.resolve("netlog.json");
            String chromium = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : "chromium";
            String dom = run(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-sync",
                    "--disable-component-update", "--ignore-certificate-errors", "--user-data-dir=" + dir.resolve("p"),
                    "--log-net-log=" + netLog, "--virtual-time-budget=3000", "--dump-dom",
                    "https://localhost:" + withAdmin.port("https") + "/stats");
            assertTrue(dom.contains("id=\"backend-admin\""), "the stats page rendered through Ferry: " + dom);
            assertTrue(dom.matches("(?s).*requests by protocol: [^<]*HTTP/2\\.0 [1-9].*"), "the page counts HTTP/2: " + dom);
            String log = Files.readString(netLog);
            assertTrue(log.contains("\"negotiated_protocol\":\"h2\""), "Chromium negotiated h2");
            String status = run("curl", "-s", "http://127.0.0.1:" + adminPort + "/status");
            assertTrue(status.matches("(?s).*\"requests_by_protocol\":\\{[^}]*\"HTTP/2.0\":[1-9].*"), status);
        }
    }
}
