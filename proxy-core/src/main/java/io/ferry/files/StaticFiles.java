package io.ferry.files;

import io.ferry.cache.HttpDates;
import io.ferry.config.ExpiresRule;
import io.ferry.http.Preconditions;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.Map;

/**
 * Decides the response to a GET or HEAD of a static file (RFC 9110 §13, §14): validators (ETag from
 * size and modification time, Last-Modified), 304 for a matching If-None-Match or a not-newer
 * If-Modified-Since, one byte range (206, or 416 when unsatisfiable; If-Range honoured; several
 * ranges get the whole file), Content-Type by extension. Writing the bytes is the caller's job.
 */
public final class StaticFiles {
    /** The response head and the byte range of the file to send after it (length 0: no body). */
    public record Plan(HttpResponse head, long offset, long length) {
    }

    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"), Map.entry("json", "application/json"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("xml", "application/xml"),
            Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"),
            Map.entry("avif", "image/avif"), Map.entry("ico", "image/vnd.microsoft.icon"),
            Map.entry("woff", "font/woff"), Map.entry("woff2", "font/woff2"), Map.entry("ttf", "font/ttf"),
            Map.entry("otf", "font/otf"), Map.entry("eot", "application/vnd.ms-fontobject"),
            Map.entry("pdf", "application/pdf"), Map.entry("zip", "application/zip"),
            Map.entry("gz", "application/gzip"), Map.entry("mp4", "video/mp4"), Map.entry("webm", "video/webm"),
            Map.entry("mp3", "audio/mpeg"), Map.entry("wasm", "application/wasm"),
            Map.entry("map", "application/json"), Map.entry("csv", "text/csv; charset=utf-8"));

    private StaticFiles() {
    }

    public static String contentType(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }

    /** @param expires the lifetime its path gets (Cache-Control and Expires), or null for validators only */
    public static Plan plan(Path file, HttpMethod method, HttpHeaders request, ExpiresRule expires) throws IOException {
        Plan p = plan(file, method, request);
        if (expires != null) {
            p.head().headers().set(HttpHeaderNames.CACHE_CONTROL, expires.cacheControl())
                    .set(HttpHeaderNames.EXPIRES, HttpDates.format(System.currentTimeMillis() + expires.maxAge().toMillis()));
        }
        return p;
    }

    public static Plan plan(Path file, HttpMethod method, HttpHeaders request) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        long size = attrs.size();
        long mtime = attrs.lastModifiedTime().toMillis();
        String etag = "\"" + Long.toHexString(mtime) + "-" + Long.toHexString(size) + "\"";
        String lastModified = HttpDates.format(mtime);
        boolean body = method != HttpMethod.HEAD;

        if (Preconditions.notModified(request, etag, lastModified)) {
            HttpResponse r = response(HttpResponseStatus.NOT_MODIFIED, etag, lastModified);
            return new Plan(r, 0, 0);
        }
        String range = request.get(HttpHeaderNames.RANGE);
        if (range != null && Preconditions.ifRangeAllows(request.get(HttpHeaderNames.IF_RANGE), etag, lastModified)) {
            long[] r = Preconditions.singleRange(range, size);
            if (r == null) {
                HttpResponse head = response(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, etag, lastModified);
                head.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                return new Plan(head, 0, 0);
            }
            if (r.length == 2) {
                long length = r[1] - r[0] + 1;
                HttpResponse head = response(HttpResponseStatus.PARTIAL_CONTENT, etag, lastModified);
                head.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType(file))
                        .set(HttpHeaderNames.CONTENT_RANGE, "bytes " + r[0] + "-" + r[1] + "/" + size)
                        .set(HttpHeaderNames.CONTENT_LENGTH, length);
                return new Plan(head, r[0], body ? length : 0);
            }
        }
        HttpResponse head = response(HttpResponseStatus.OK, etag, lastModified);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType(file)).set(HttpHeaderNames.CONTENT_LENGTH, size);
        return new Plan(head, 0, body ? size : 0);
    }

    private static HttpResponse response(HttpResponseStatus status, String etag, String lastModified) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        r.headers().set(HttpHeaderNames.ETAG, etag).set(HttpHeaderNames.LAST_MODIFIED, lastModified)
                .set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
        return r;
    }
}
