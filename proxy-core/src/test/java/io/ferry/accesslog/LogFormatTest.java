package io.ferry.accesslog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The default format writes nginx's combined line; the local time is Common Log Format's, in the JVM's zone. */
class LogFormatTest {
    private static final LogFormat.Exchange GET = new LogFormat.Exchange() {
        public String remoteAddr() { return "192.0.2.7"; }
        public String method() { return "GET"; }
        public String uri() { return "/a?b=1"; }
        public String protocol() { return "HTTP/1.1"; }
        public int status() { return 200; }
        public long bytesSent() { return 1024; }
        public String header(String name) { return name.equalsIgnoreCase("user-agent") ? "curl/8" : null; }
        public String upstream() { return "127.0.0.1:8080"; }
        public long upstreamNanos() { return 2_000_000; }
        public long totalNanos() { return 3_000_000; }
        public String cacheStatus() { return "MISS"; }
        public String host() { return "example.org"; }
    };

    @Test
    void theDefaultIsCombinedWithUpstreamTimesAndTheCacheResult() {
        String line = new LogFormat(LogFormat.DEFAULT).format(GET);
        Pattern combined = Pattern.compile("192\\.0\\.2\\.7 - - \\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}] "
                + "\"GET /a\\?b=1 HTTP/1\\.1\" 200 1024 \"-\" \"curl/8\" 127\\.0\\.0\\.1:8080 0\\.002 0\\.003 MISS");
        assertTrue(combined.matcher(line).matches(), line);
    }

    @Test
    void anUnknownVariableIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LogFormat("$nope"));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        assertEquals("GET 200", new LogFormat("$request_method $status").format(GET));
    }
}
