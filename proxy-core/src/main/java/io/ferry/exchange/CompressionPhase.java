package io.ferry.exchange;

import io.ferry.compress.BodyEncoder;
import io.ferry.compress.Encodings;
import io.ferry.compress.Negotiation;
import io.ferry.config.CompressionConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compresses a response the backend sent as it is (Apache mod_deflate, nginx gzip/brotli, HAProxy
 * compression): for a route with compression on, a compressible content type and length, not already
 * encoded, not a range, no {@code no-transform}, and a client whose Accept-Encoding takes br, zstd or
 * gzip. Vary: Accept-Encoding on every response that could be compressed; the ETag weakened (RFC 9110
 * §8.8.3: the bytes differ); the length dropped (the body streams, each part compressed and flushed as
 * it comes). Runs before the cache phase, so the cache keeps what a client got, one variant per coding
 * (RoutingPhase set the request's Accept-Encoding to the coding chosen): a hit never compresses.
 */
final class CompressionPhase implements ResponsePhase {
    private static final Logger log = LoggerFactory.getLogger(CompressionPhase.class);

    @Override
    public Next onHead(Exchange ex, HttpResponse response) {
        RequestContext ctx = ex.ctx;
        CompressionConfig c = ctx.route == null ? null : ctx.route.compression();
        if (c == null || !c.enabled() || ctx.esiTemplate) { // an ESI page is compressed as it is assembled
            return Next.CONTINUE;
        }
        if (gzipForAClientWithout(ex, response)) {
            return Next.CONTINUE;
        }
        if (!compressible(response, c)) {
            return Next.CONTINUE;
        }
        HttpHeaders h = response.headers();
        addVary(h);
        if (ctx.method == HttpMethod.HEAD) {
            return Next.CONTINUE; // no body to compress; the Vary still holds for what a GET would get
        }
        var algorithm = Negotiation.choose(ctx.acceptEncoding, c.algorithms());
        if (algorithm == null) {
            return Next.CONTINUE;
        }
        try {
            BodyEncoder encoder = Encodings.open(algorithm, c);
            ctx.bodyEncoder = encoder;
            ex.ruleFacts().onEnd(encoder::close); // freed however the exchange ends
        } catch (IOException | RuntimeException e) {
            log.warn("{} encoder could not start ({}); the response goes uncompressed", algorithm.token, e.toString());
            return Next.CONTINUE;
        }
        h.remove(HttpHeaderNames.CONTENT_LENGTH);
        h.remove(HttpHeaderNames.ACCEPT_RANGES);
        h.set(HttpHeaderNames.CONTENT_ENCODING, algorithm.token);
        weakenEtag(h);
        return Next.CONTINUE;
    }

    /**
     * A backend that sends gzip whatever it is asked (Varnish's http_gzip_support case): for a client that
     * does not take gzip the body is decoded as it passes, at most cache.max-object-size bytes of it.
     */
    private static boolean gzipForAClientWithout(Exchange ex, HttpResponse response) {
        HttpHeaders h = response.headers();
        String encoding = h.get(HttpHeaderNames.CONTENT_ENCODING);
        if (encoding == null || !encoding.trim().equalsIgnoreCase("gzip") || ex.ctx.method == HttpMethod.HEAD
                || !wholeBody(response.status().code()) || Negotiation.accepts(ex.ctx.acceptEncoding, "gzip")) {
            return false;
        }
        io.ferry.compress.GzipDecoder decoder = new io.ferry.compress.GzipDecoder(ex.runtime.config.cache().maxObjectBytes());
        ex.ctx.bodyDecoder = decoder;
        ex.ruleFacts().onEnd(decoder::close);
        h.remove(HttpHeaderNames.CONTENT_ENCODING);
        h.remove(HttpHeaderNames.CONTENT_LENGTH);
        addVary(h);
        weakenEtag(h);
        return true;
    }

    /** A status whose response carries the whole representation (not 1xx, 204, 206 or 304). */
    private static boolean wholeBody(int status) {
        return status >= 200 && status != 204 && status != 206 && status != 304;
    }

    /** RFC 9110 §8.8.3: other bytes than the backend's, so its validator can only be weak. */
    private static void weakenEtag(HttpHeaders h) {
        String etag = h.get(HttpHeaderNames.ETAG);
        if (etag != null && !etag.startsWith("W/")) {
            h.set(HttpHeaderNames.ETAG, "W/" + etag);
        }
    }

    /** A body worth compressing: by status, encoding, range, no-transform, type and length. */
    static boolean compressible(HttpResponse response, CompressionConfig c) {
        if (!wholeBody(response.status().code())) {
            return false;
        }
        HttpHeaders h = response.headers();
        String encoding = h.get(HttpHeaderNames.CONTENT_ENCODING);
        if (encoding != null && !encoding.equalsIgnoreCase("identity") || h.contains(HttpHeaderNames.CONTENT_RANGE)) {
            return false;
        }
        String cacheControl = h.get(HttpHeaderNames.CACHE_CONTROL);
        if (cacheControl != null && cacheControl.toLowerCase(Locale.ROOT).contains("no-transform")) {
            return false;
        }
        long length = h.getInt(HttpHeaderNames.CONTENT_LENGTH, Integer.MAX_VALUE);
        return length >= c.minLength() && typeMatches(h.get(HttpHeaderNames.CONTENT_TYPE), c);
    }

    static boolean typeMatches(String contentType, CompressionConfig c) {
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String type = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        for (String t : c.types()) {
            if (t.endsWith("*") ? type.startsWith(t.substring(0, t.length() - 1)) : type.equals(t)) {
                return true;
            }
        }
        return false;
    }

    static void addVary(HttpHeaders h) {
        String vary = h.get(HttpHeaderNames.VARY);
        if (vary == null) {
            h.set(HttpHeaderNames.VARY, "Accept-Encoding");
        } else if (!vary.trim().equals("*") && !vary.toLowerCase(Locale.ROOT).contains("accept-encoding")) {
            h.set(HttpHeaderNames.VARY, vary + ", Accept-Encoding");
        }
    }

    @Override
    public HttpContent onBody(Exchange ex, HttpContent part) {
        BodyEncoder encoder = ex.ctx.bodyEncoder;
        io.ferry.compress.GzipDecoder decoder = ex.ctx.bodyDecoder;
        if (encoder == null && decoder == null) {
            return part;
        }
        ByteBuf out;
        try {
            out = encoder != null ? encoder.encode(ex.client.alloc(), part.content())
                    : decoder.decode(ex.client.alloc(), part.content());
        } catch (IOException e) {
            ex.giveUp(HttpResponseStatus.BAD_GATEWAY, (encoder != null ? "compressing" : "decoding the backend's gzip")
                    + " failed: " + e.getMessage()); // the response has started: the client's stream is cut
            return null;
        } finally {
            part.release();
        }
        if (!out.isReadable()) {
            out.release();
            return null;
        }
        return new DefaultHttpContent(out);
    }

    @Override
    public LastHttpContent onEnd(Exchange ex, LastHttpContent last) {
        io.ferry.compress.GzipDecoder decoder = ex.ctx.bodyDecoder;
        if (decoder != null) {
            ex.ctx.bodyDecoder = null;
            try {
                ByteBuf rest = decoder.decode(ex.client.alloc(), last.content());
                return new DefaultLastHttpContent(rest, last.trailingHeaders());
            } catch (IOException e) {
                ex.giveUp(HttpResponseStatus.BAD_GATEWAY, "decoding the backend's gzip failed: " + e.getMessage());
                return LastHttpContent.EMPTY_LAST_CONTENT;
            } finally {
                last.release();
            }
        }
        BodyEncoder encoder = ex.ctx.bodyEncoder;
        if (encoder == null) {
            return last;
        }
        ex.ctx.bodyEncoder = null;
        try {
            ByteBuf body = last.content().isReadable() ? encoder.encode(ex.client.alloc(), last.content()) : Unpooled.EMPTY_BUFFER;
            ByteBuf tail;
            try {
                tail = encoder.finish(ex.client.alloc());
            } catch (IOException e) {
                body.release(); // the part compressed before the end failed
                throw e;
            }
            ByteBuf all = body.isReadable() ? Unpooled.wrappedBuffer(body, tail) : tail;
            if (!body.isReadable()) {
                body.release();
            }
            return new DefaultLastHttpContent(all, last.trailingHeaders());
        } catch (IOException e) {
            ex.giveUp(HttpResponseStatus.BAD_GATEWAY, "compressing failed: " + e.getMessage());
            return LastHttpContent.EMPTY_LAST_CONTENT;
        } finally {
            last.release();
        }
    }
}
