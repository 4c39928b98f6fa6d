package io.ferry.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.RawClient;
import io.ferry.testing.TrustAll;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ferry in front of a real php-fpm, over TCP and a unix socket, with a Drupal-like front controller. */
@Tag("external")
class PhpFpmIntegrationTest {
    @TempDir
    static Path dir;
    static Path root;
    static PhpFpm fpm;
    static PhpFpm fpmUnix;
    static FerryHarness ferry;

    @BeforeAll
    static void start() throws Exception {
        root = dir.resolve("site");
        PhpFpm.copyTestSite(root);
        Files.createSymbolicLink(root.resolve("escape.txt"), Path.of("/etc/hostname"));
        Files.createDirectories(dir.resolve("unix"));
        fpm = PhpFpm.onTcp(dir, 4);
        fpmUnix = PhpFpm.onUnixSocket(dir.resolve("unix"), 2);
        ferry = FerryHarness.start("""
                ferry {
                  listeners = [
                    { name = http, bind = "127.0.0.1", port = 0 }
                    { name = https, bind = "127.0.0.1", port = 0, tls { } }
                  ]
                  limits.max-body-size = 64m
                  backends.php {
                    type = fastcgi
                    servers = [ "%s" ]
                    max-conns = 4
                    retries = 0
                    passive-health.enabled = false
                    timeouts.server = 2s
                    fastcgi {
                      document-root = "%s"
                      try-files = [ "$uri", "$uri/", "/index.php?$args" ]
                      params { APP_ENV = testing }
                    }
                  }
                  backends.unix {
                    type = fastcgi
                    servers = [ "%s" ]
                    fastcgi.document-root = "%s"
                  }
                  backends.small {
                    type = fastcgi
                    servers = [ "%s" ]
                    fastcgi { document-root = "%s", max-buffered-body = 1k }
                  }
                  routes = [ { host = "unix.test", backend = unix }, { host = "small.test", backend = small },
                             { backend = php } ]
                  timeouts.shutdown = 1s
                }
                """.formatted(fpm.serverAddress(), root, fpmUnix.serverAddress(), root, fpm.serverAddress(), root));
    }

    @AfterAll
    static void stop() throws Exception {
        if (ferry != null) {
            ferry.close();
        }
        if (fpm != null) {
            fpm.close();
        }
        if (fpmUnix != null) {
            fpmUnix.close();
        }
    }

    private static RawClient.Response send(String request) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send(request);
            return c.read(request.startsWith("HEAD"));
        }
    }

    private static RawClient.Response get(String path, String... headers) throws Exception {
        StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: site.test\r\n");
        for (String h : headers) {
            req.append(h).append("\r\n");
        }
        return send(req.append("\r\n").toString());
    }

    private static Map<String, String> vars(RawClient.Response r) {
        assertEquals(200, r.status(), r.bodyText());
        Map<String, String> vars = new HashMap<>();
        for (String line : r.bodyText().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                vars.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return vars;
    }

    @Test
    void getWithQueryStringAndTheCgiVariables() throws Exception {
        Map<String, String> v = vars(get("/info.php?x=1&y=two%20words", "X-Custom: yes", "Proxy: http://evil:8080"));
        assertEquals("GET", v.get("REQUEST_METHOD"));
        assertEquals("/info.php?x=1&y=two%20words", v.get("REQUEST_URI"));
        assertEquals("x=1&y=two%20words", v.get("QUERY_STRING"));
        assertEquals("1", v.get("GET.x"));
        assertEquals("two words", v.get("GET.y"));
        assertEquals("/info.php", v.get("SCRIPT_NAME"));
        assertEquals(root + "/info.php", v.get("SCRIPT_FILENAME"));
        assertEquals(root.toString(), v.get("DOCUMENT_ROOT"));
        assertEquals("/info.php", v.get("DOCUMENT_URI"));
        assertEquals("HTTP/1.1", v.get("SERVER_PROTOCOL"));
        assertEquals("CGI/1.1", v.get("GATEWAY_INTERFACE"));
        assertEquals("200", v.get("REDIRECT_STATUS"));
        assertEquals("127.0.0.1", v.get("REMOTE_ADDR"));
        assertEquals("site.test", v.get("SERVER_NAME"));
        assertEquals(Integer.toString(ferry.port()), v.get("SERVER_PORT"));
        assertEquals("site.test", v.get("HTTP_HOST"));
        assertEquals("yes", v.get("HTTP_X_CUSTOM"));
        assertEquals("testing", v.get("APP_ENV"), "extra params from the config");
        assertEquals("http", v.get("REQUEST_SCHEME"));
        assertNull(v.get("HTTPS"));
        assertNull(v.get("HTTP_PROXY"), "httpoxy: the Proxy header is never passed");
    }

    @Test
    void postFormAndJsonBodies() throws Exception {
        String form = "name=ferry&lang=java";
        Map<String, String> v = vars(send("POST /info.php HTTP/1.1\r\nHost: t\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + form.length() + "\r\n\r\n" + form));
        assertEquals("ferry", v.get("POST.name"));
        assertEquals("java", v.get("POST.lang"));
        String json = "{\"course\":\"math101\",\"seats\":30}";
        Map<String, String> j = vars(send("POST /info.php HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + json.length() + "\r\n\r\n" + json));
        assertEquals("application/json", j.get("CONTENT_TYPE"));
        assertEquals(Integer.toString(json.length()), j.get("CONTENT_LENGTH"));
        assertEquals(md5(json.getBytes(StandardCharsets.UTF_8)), j.get("BODY_MD5"));
    }

    @Test
    void chunkedBodyIsReadWholeAndGivenALength() throws Exception {
        String form = "name=ferry&lang=java&course=math101";
        StringBuilder chunks = new StringBuilder();
        for (int i = 0; i < form.length(); i += 8) {
            String part = form.substring(i, Math.min(form.length(), i + 8));
            chunks.append(Integer.toHexString(part.length())).append("\r\n").append(part).append("\r\n");
        }
        Map<String, String> v = vars(send("POST /info.php HTTP/1.1\r\nHost: t\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunks + "0\r\n\r\n"));
        assertEquals(Integer.toString(form.length()), v.get("CONTENT_LENGTH"));
        assertEquals("ferry", v.get("POST.name"));
        assertEquals("math101", v.get("POST.course"));
        assertEquals(md5(form.getBytes(StandardCharsets.UTF_8)), v.get("BODY_MD5"));
    }

    @Test
    void chunkedBodyOverMaxBufferedBodyIs413() throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("POST /info.php HTTP/1.1\r\nHost: small.test\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = Integer.toHexString(600) + "\r\n" + "x".repeat(600) + "\r\n";
            c.send(chunk + chunk + "0\r\n\r\n");
            assertEquals(413, c.read().status());
        }
    }

    @Test
    void tenMebibyteUploadStreamsThrough() throws Exception {
        byte[] body = new byte[10 * 1024 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31 + (i >> 12));
        }
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("PUT /info.php HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                    + body.length + "\r\n\r\n");
            c.send(body);
            Map<String, String> v = vars(c.read());
            assertEquals(Integer.toString(body.length), v.get("BODY_LENGTH"));
            assertEquals(md5(body), v.get("BODY_MD5"));
        }
    }

    @Test
    void basicAuthArrivesAsPhpAuthUserAndBearerAsHttpAuthorization() throws Exception {
        String basic = Base64.getEncoder().encodeToString("aladdin:open sesame".getBytes(StandardCharsets.UTF_8));
        Map<String, String> v = vars(get("/info.php", "Authorization: Basic " + basic));
        assertEquals("aladdin", v.get("PHP_AUTH_USER"));
        assertEquals("open sesame", v.get("PHP_AUTH_PW"));
        assertEquals("Basic " + basic, v.get("HTTP_AUTHORIZATION"));
        Map<String, String> b = vars(get("/info.php", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"));
        assertEquals("Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", b.get("HTTP_AUTHORIZATION"));
    }

    @Test
    void pathInfoAndFrontController() throws Exception {
        Map<String, String> v = vars(get("/info.php/extra/path?q=1"));
        assertEquals("/info.php", v.get("SCRIPT_NAME"));
        assertEquals("/extra/path", v.get("PATH_INFO"));
        assertEquals(root + "/extra/path", v.get("PATH_TRANSLATED"));
        assertEquals("q=1", v.get("QUERY_STRING"));

        RawClient.Response front = get("/node/42?page=2");
        assertEquals(200, front.status());
        assertEquals("front controller: uri=/node/42?page=2 query=page=2 script=/index.php\n", front.bodyText());
        assertEquals("sub index\n", get("/sub/").bodyText(), "a directory runs its index.php");
    }

    @Test
    void statusRedirectAndSeveralCookies() throws Exception {
        RawClient.Response teapot = get("/status.php");
        assertEquals(418, teapot.status());
        assertEquals("status", teapot.header("x-script"));
        assertEquals("short and stout\n", teapot.bodyText());

        RawClient.Response redirect = get("/redirect.php");
        assertEquals(302, redirect.status());
        assertEquals("/landing?from=redirect", redirect.header("location"));

        RawClient.Response cookies = get("/cookies.php");
        List<String> set = cookies.headerValues("set-cookie");
        assertEquals(3, set.size(), set.toString());
        assertTrue(set.get(0).startsWith("first=1"));
        assertTrue(set.get(1).startsWith("second=2") && set.get(1).contains("path=/app"));
        assertTrue(set.get(2).startsWith("SESSabc=xyz") && set.get(2).toLowerCase().contains("httponly"));
    }

    @Test
    void fiftyMebibyteResponseStreamsWithBoundedProxyMemory() throws Exception {
        // Live buffers, not what the pool has reserved: earlier tests in this JVM leave arena chunks behind.
        long before = usedNettyMemory();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), ferry.port())) {
            s.setReceiveBufferSize(64 * 1024);
            s.getOutputStream().write("GET /big.php?mb=50 HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(1500); // not reading: php-fpm must be held back, not buffered in the proxy
            long used = usedNettyMemory() - before;
            assertTrue(used < 24L * 1024 * 1024, "proxy holds " + used + " more bytes for a stalled 50 MiB response");
            InputStream in = s.getInputStream();
            long total = 0;
            byte[] buf = new byte[1 << 16];
            int n;
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                head.append((char) in.read());
            }
            assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.toString());
            assertTrue(head.toString().toLowerCase().contains("transfer-encoding: chunked"), head.toString());
            // Count chunked payload bytes.
            while (true) {
                String sizeLine = readLine(in);
                int size = Integer.parseInt(sizeLine.trim(), 16);
                if (size == 0) {
                    break;
                }
                int left = size;
                while (left > 0 && (n = in.read(buf, 0, Math.min(buf.length, left))) > 0) {
                    left -= n;
                    total += n;
                }
                readLine(in);
            }
            assertEquals(50L * 1024 * 1024, total);
        }
    }

    private static String readLine(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }

    /** Bytes in live buffers of the default allocator (its arenas' active bytes), or Netty's direct memory. */
    private static long usedNettyMemory() {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        if (alloc instanceof io.netty.buffer.PooledByteBufAllocator pooled) {
            long active = 0;
            for (io.netty.buffer.PoolArenaMetric a : pooled.metric().directArenas()) {
                active += a.numActiveBytes();
            }
            for (io.netty.buffer.PoolArenaMetric a : pooled.metric().heapArenas()) {
                active += a.numActiveBytes();
            }
            return active;
        }
        if (alloc instanceof ByteBufAllocatorMetricProvider p) {
            return p.metric().usedDirectMemory() + p.metric().usedHeapMemory();
        }
        return io.netty.util.internal.PlatformDependent.usedDirectMemory();
    }

    @Test
    void slowScriptHitsTheServerTimeout() throws Exception {
        assertEquals(504, get("/slow.php?s=4").status());
    }

    @Test
    void staticFilesWithValidatorsRangesAndHead() throws Exception {
        RawClient.Response full = get("/hello.txt");
        assertEquals(200, full.status());
        assertEquals("hello static world\n", full.bodyText());
        assertEquals("text/plain; charset=utf-8", full.header("content-type"));
        assertEquals("bytes", full.header("accept-ranges"));
        String etag = full.header("etag");
        String lastModified = full.header("last-modified");
        assertTrue(etag != null && lastModified != null);

        assertEquals(304, get("/hello.txt", "If-None-Match: " + etag).status());
        assertEquals(304, get("/hello.txt", "If-Modified-Since: " + lastModified).status());
        assertEquals(200, get("/hello.txt", "If-None-Match: \"other\"").status());

        RawClient.Response range = get("/hello.txt", "Range: bytes=6-11");
        assertEquals(206, range.status());
        assertEquals("static", range.bodyText());
        assertEquals("bytes 6-11/19", range.header("content-range"));
        RawClient.Response suffix = get("/hello.txt", "Range: bytes=-6");
        assertEquals("world\n", suffix.bodyText());
        RawClient.Response unsatisfiable = get("/hello.txt", "Range: bytes=500-");
        assertEquals(416, unsatisfiable.status());
        assertEquals("bytes */19", unsatisfiable.header("content-range"));

        RawClient.Response head = send("HEAD /style.css HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, head.status());
        assertEquals("text/css; charset=utf-8", head.header("content-type"));
        assertEquals("22", head.header("content-length"));
        assertEquals(405, send("POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").status());
    }

    @Test
    void staticFilesOverTlsAndKeepAlive() throws Exception {
        try (SSLSocket socket = (SSLSocket) TrustAll.context().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), ferry.port("https"))) {
            RawClient c = new RawClient(socket);
            c.send("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("hello static world\n", c.read().bodyText());
            c.send("GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n\r\n");
            assertEquals("hello", c.read().bodyText());
            c.send("GET /info.php HTTP/1.1\r\nHost: t\r\n\r\n");
            Map<String, String> v = vars(c.read());
            assertEquals("on", v.get("HTTPS"), "HTTPS=on on the TLS listener");
            assertEquals("https", v.get("REQUEST_SCHEME"));
        }
    }

    @Test
    void traversalDotfilesSymlinksAndScriptSourcesAreRefused() throws Exception {
        assertEquals(403, get("/../../etc/passwd").status());
        assertEquals(403, get("/%2e%2e/%2e%2e/etc/passwd").status());
        assertEquals(403, get("/sub/%2E%2E/secret.php").status());
        assertEquals(404, get("/sub%2f..%2fsecret.php").status());
        assertEquals(403, get("/.htaccess").status());
        assertEquals(403, get("/escape.txt").status(), "a symlink leaving the root");
        assertEquals(400, get("/bad%zzpath").status());
        RawClient.Response secret = get("/secret.php");
        assertEquals("secret-ok\n", secret.bodyText());
        assertFalse(secret.bodyText().contains("SOURCE-MARKER"));
        assertTrue(get("/missing.css").bodyText().startsWith("front controller: uri=/missing.css"),
                "a missing file falls through try-files to the front controller");
    }

    @Test
    void unixSocketBackend() throws Exception {
        RawClient.Response r = send("GET /info.php?via=unix HTTP/1.1\r\nHost: unix.test\r\n\r\n");
        assertEquals("unix", vars(r).get("GET.via"));
    }

    @Test
    void keepAliveConnectionsToPhpFpmAreReused() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + ferry.port() + "/info.php?i=" + i)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("GET.i=" + i));
        }
    }

    private static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }
}
