package io.ferry.accesslog;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An access log format in nginx's {@code $variable} style. The default is the Combined Log Format
 * followed by upstream server, upstream and total time (seconds) and the cache result.
 */
public final class LogFormat {
    public static final String DEFAULT = "$remote_addr - - [$time_local] \"$request\" $status $body_bytes_sent "
            + "\"$http_referer\" \"$http_user_agent\" $upstream_addr $upstream_response_time $request_time $cache_status";

    /** What one finished exchange reports. */
    public interface Exchange {
        String remoteAddr();

        String method();

        String uri();

        String protocol();

        int status();

        long bytesSent();

        String header(String name);

        String upstream();

        long upstreamNanos();

        long totalNanos();

        String cacheStatus();

        String host();

        /** The request ID (rules.request-id), or null. */
        default String requestId() {
            return null;
        }
    }

    private static final DateTimeFormatter CLF_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneId.systemDefault());

    private enum Var {
        REMOTE_ADDR("remote_addr"), TIME_LOCAL("time_local"), TIME_ISO("time_iso8601"), REQUEST("request"),
        METHOD("request_method"), URI("request_uri"), PROTOCOL("server_protocol"), STATUS("status"),
        BYTES("body_bytes_sent"), REFERER("http_referer"), USER_AGENT("http_user_agent"), HOST("host"),
        UPSTREAM("upstream_addr"), UPSTREAM_TIME("upstream_response_time"), REQUEST_TIME("request_time"),
        CACHE("cache_status"), REQUEST_ID("request_id");

        final String name;

        Var(String name) {
            this.name = name;
        }
    }

    private final List<Object> parts = new ArrayList<>();

    public LogFormat(String format) {
        int i = 0;
        StringBuilder literal = new StringBuilder();
        while (i < format.length()) {
            char c = format.charAt(i);
            if (c == '$') {
                int j = i + 1;
                while (j < format.length() && (Character.isLetterOrDigit(format.charAt(j)) || format.charAt(j) == '_')) {
                    j++;
                }
                String name = format.substring(i + 1, j);
                Var var = null;
                for (Var v : Var.values()) {
                    if (v.name.equals(name)) {
                        var = v;
                    }
                }
                if (var == null) {
                    throw new IllegalArgumentException("unknown variable $" + name);
                }
                if (literal.length() > 0) {
                    parts.add(literal.toString());
                    literal.setLength(0);
                }
                parts.add(var);
                i = j;
            } else {
                literal.append(c);
                i++;
            }
        }
        if (literal.length() > 0) {
            parts.add(literal.toString());
        }
    }

    public String format(Exchange e) {
        StringBuilder sb = new StringBuilder(192);
        for (Object p : parts) {
            if (p instanceof String s) {
                sb.append(s);
                continue;
            }
            switch ((Var) p) {
                case REMOTE_ADDR -> sb.append(e.remoteAddr());
                case TIME_LOCAL -> sb.append(CLF_TIME.format(Instant.now()));
                case TIME_ISO -> sb.append(DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(Instant.now().atZone(ZoneId.systemDefault())));
                case REQUEST -> sb.append(e.method()).append(' ').append(e.uri()).append(' ').append(e.protocol());
                case METHOD -> sb.append(e.method());
                case URI -> sb.append(e.uri());
                case PROTOCOL -> sb.append(e.protocol());
                case STATUS -> sb.append(e.status());
                case BYTES -> sb.append(e.bytesSent());
                case REFERER -> dashIfNull(sb, e.header("referer"));
                case USER_AGENT -> dashIfNull(sb, e.header("user-agent"));
                case HOST -> dashIfNull(sb, e.host());
                case UPSTREAM -> dashIfNull(sb, e.upstream());
                case UPSTREAM_TIME -> seconds(sb, e.upstream() == null ? -1 : e.upstreamNanos());
                case REQUEST_TIME -> seconds(sb, e.totalNanos());
                case CACHE -> dashIfNull(sb, e.cacheStatus());
                case REQUEST_ID -> dashIfNull(sb, e.requestId());
            }
        }
        return sb.toString();
    }

    private static void dashIfNull(StringBuilder sb, String v) {
        if (v == null || v.isEmpty()) {
            sb.append('-');
        } else {
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\');
                }
                sb.append(c < 0x20 ? '?' : c);
            }
        }
    }

    private static void seconds(StringBuilder sb, long nanos) {
        if (nanos < 0) {
            sb.append('-');
            return;
        }
        long millis = nanos / 1_000_000;
        sb.append(millis / 1000).append('.');
        long frac = millis % 1000;
        if (frac < 100) {
            sb.append('0');
        }
        if (frac < 10) {
            sb.append('0');
        }
        sb.append(frac);
    }
}
