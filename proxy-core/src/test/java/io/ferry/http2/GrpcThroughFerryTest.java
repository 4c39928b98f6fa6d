package io.ferry.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.TestOrigin;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real gRPC service (grpc-java) behind Ferry on an h2c backend, called by a real gRPC client over
 * both listeners: unary, server streaming, bidirectional streaming, and an error whose grpc-status and
 * grpc-message arrive as the server sent them (trailers pass through). The active health check speaks
 * HTTP/2 to the service. gRPC is never sent to an HTTP/1.1 backend.
 */
class GrpcThroughFerryTest {
    private static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> SAY = method("Say", MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<String, String> COUNT =
            method("Count", MethodDescriptor.MethodType.SERVER_STREAMING);
    private static final MethodDescriptor<String, String> CHAT =
            method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
    private static final MethodDescriptor<String, String> FAIL = method("Fail", MethodDescriptor.MethodType.UNARY);

    private static Server grpc;
    private static TestOrigin http1;
    private static FerryHarness ferry;

    private static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<String, String>newBuilder().setType(type)
                .setFullMethodName("ferry.Echo/" + name).setRequestMarshaller(UTF8).setResponseMarshaller(UTF8)
                .build();
    }

    @BeforeAll
    static void start() throws Exception {
        ServerServiceDefinition echo = ServerServiceDefinition.builder("ferry.Echo")
                .addMethod(SAY, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
                    out.onNext("hello " + req);
                    out.onCompleted();
                }))
                .addMethod(COUNT, ServerCalls.asyncServerStreamingCall((String req, StreamObserver<String> out) -> {
                    for (int i = 1; i <= Integer.parseInt(req); i++) {
                        out.onNext("n" + i);
                    }
                    out.onCompleted();
                }))
                .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall((StreamObserver<String> out) ->
                        new StreamObserver<String>() {
                            @Override
                            public void onNext(String value) {
                                out.onNext("echo " + value);
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                                out.onCompleted();
                            }
                        }))
                .addMethod(FAIL, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) ->
                        out.onError(Status.NOT_FOUND.withDescription("no such " + req).asRuntimeException())))
                .build();
        grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(echo).build().start();
        http1 = TestOrigin.start(r -> TestOrigin.Reply.ok("http/1.1 origin"));
        ferry = FerryHarness.start("""
                ferry {
                  listeners = [
                    { name = http, bind = "127.0.0.1", port = 0 }
                    { name = https, bind = "127.0.0.1", port = 0, tls { } }
                  ]
                  backends.grpc {
                    servers = [ "127.0.0.1:%d" ]
                    protocol = h2c
                    max-conns = 20
                    pool.idle-timeout = 1s
                    # a gRPC server answers a request that is not gRPC with 415: alive, and in HTTP/2
                    health-check { path = "/", expect-status = "415", interval = 100ms, rise = 1, fall = 3 }
                  }
                  backends.old.servers = [ "127.0.0.1:%d" ]
                  routes = [ { host = "old.test", backend = old }, { backend = grpc } ]
                  timeouts.shutdown = 1s
                }
                """.formatted(grpc.getPort(), http1.port()));
    }

    @AfterAll
    static void stop() throws Exception {
        ferry.close();
        http1.close();
        grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static ManagedChannel cleartext() {
        return NettyChannelBuilder.forAddress("127.0.0.1", ferry.port("http")).usePlaintext().build();
    }

    private static ManagedChannel tls() throws Exception {
        return NettyChannelBuilder.forAddress("127.0.0.1", ferry.port("https")).overrideAuthority("localhost")
                .sslContext(GrpcSslContexts.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build())
                .build();
    }

    private static void close(ManagedChannel ch) throws InterruptedException {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void unaryAndServerStreamingOnBothListeners() throws Exception {
        for (ManagedChannel ch : List.of(cleartext(), tls())) {
            try {
                assertEquals("hello ferry", ClientCalls.blockingUnaryCall(ch, SAY, CallOptions.DEFAULT, "ferry"));
                List<String> got = new ArrayList<>();
                Iterator<String> it = ClientCalls.blockingServerStreamingCall(ch, COUNT, CallOptions.DEFAULT, "5");
                it.forEachRemaining(got::add);
                assertEquals(List.of("n1", "n2", "n3", "n4", "n5"), got);
            } finally {
                close(ch);
            }
        }
    }

    @Test
    void bidirectionalStreaming() throws Exception {
        ManagedChannel ch = cleartext();
        try {
            List<String> got = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> done = new CompletableFuture<>();
            StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(
                    ch.newCall(CHAT, CallOptions.DEFAULT), new StreamObserver<String>() {
                        @Override
                        public void onNext(String value) {
                            got.add(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            done.complete(null);
                        }
                    });
            for (int i = 0; i < 10; i++) {
                requests.onNext("m" + i);
            }
            requests.onCompleted();
            done.get(10, TimeUnit.SECONDS);
            assertEquals(10, got.size());
            assertEquals("echo m9", got.get(9));
        } finally {
            close(ch);
        }
    }

    @Test
    void aGrpcErrorArrivesWithItsStatusAndMessage() throws Exception {
        ManagedChannel ch = cleartext();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> ClientCalls.blockingUnaryCall(ch, FAIL, CallOptions.DEFAULT, "thing"));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
            assertEquals("no such thing", e.getStatus().getDescription());
        } finally {
            close(ch);
        }
    }

    @Test
    void manyCallsShareFewUpstreamConnections() throws Exception {
        ManagedChannel ch = cleartext();
        try {
            List<CompletableFuture<String>> calls = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String n = String.valueOf(i);
                calls.add(CompletableFuture.supplyAsync(
                        () -> ClientCalls.blockingUnaryCall(ch, SAY, CallOptions.DEFAULT, n)));
            }
            for (int i = 0; i < calls.size(); i++) {
                assertEquals("hello " + i, calls.get(i).get(10, TimeUnit.SECONDS));
            }
            var pool = ferry.server().backends().get("grpc").servers().get(0);
            assertTrue(pool.openConnections() <= Runtime.getRuntime().availableProcessors() * 2 + 1,
                    "streams over at most one connection per event loop: " + pool.openConnections());
        } finally {
            close(ch);
        }
    }

    @Test
    void anIdleUpstreamConnectionClosesAfterPoolIdleTimeout() throws Exception {
        ManagedChannel ch = cleartext();
        try {
            assertEquals("hello idle", ClientCalls.blockingUnaryCall(ch, SAY, CallOptions.DEFAULT, "idle"));
            var pool = ferry.server().backends().get("grpc").servers().get(0);
            assertTrue(pool.openConnections() > 0);
            Eventually.until("closed after pool.idle-timeout without a stream", () -> pool.openConnections() == 0);
            assertEquals("hello again", ClientCalls.blockingUnaryCall(ch, SAY, CallOptions.DEFAULT, "again"),
                    "the next call opens a new one");
        } finally {
            close(ch);
        }
    }

    @Test
    void theActiveHealthCheckSpeaksHttp2() throws Exception {
        // An HTTP/1.1 check of a server that speaks only HTTP/2 would fail every time.
        var health = ferry.firstServer("grpc").health();
        Eventually.until("three health checks", () -> health.checksRun() >= 3);
        assertEquals(0, health.checksFailed(), "every check passes");
        assertTrue(health.isUp());
    }

    @Test
    void grpcIsNeverSentToAnHttp11Backend() throws Exception {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", ferry.port("http")).usePlaintext()
                .overrideAuthority("old.test").build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> ClientCalls.blockingUnaryCall(ch, SAY, CallOptions.DEFAULT, "x"));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            assertEquals(0, http1.requests().size(), "the HTTP/1.1 backend received nothing");
        } finally {
            close(ch);
        }
    }
}
