package io.ferry.exchange;

import io.ferry.compress.BodyEncoder;
import io.ferry.compress.Encodings;
import io.ferry.compress.Negotiation;
import io.ferry.config.CompressionConfig;
import io.ferry.config.EsiConfig;
import io.ferry.esi.EsiTemplate;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles one ESI page: the head goes out at once, then the template's bytes in order, each include
 * replaced by its fragment's body. Every include of the page is fetched when assembly begins (in
 * parallel, each its own exchange) and written in order as soon as the ones before it are; the bytes
 * before an include go out while it is fetched. A failed include is tried at its {@code alt}, then left
 * empty with {@code onerror="continue"}, else the page fails (its stream is cut, as Varnish does).
 * Includes deeper than esi.max-depth are left out; past esi.max-includes for the page they fail. The
 * client's page is compressed as it is assembled when its route compresses; fragments never are.
 */
final class EsiAssembly {
    private static final Logger log = LoggerFactory.getLogger(EsiAssembly.class);
    private static final AsciiString SURROGATE_CONTROL = AsciiString.cached("surrogate-control");
    /** Fields of the page's request a fragment's request does not inherit (framing, conditions, Ferry's own). */
    private static final List<AsciiString> NOT_INHERITED = List.of(HttpHeaderNames.HOST, HttpHeaderNames.CONTENT_LENGTH,
            HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.EXPECT, HttpHeaderNames.RANGE,
            HttpHeaderNames.IF_RANGE, HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_NONE_MATCH,
            HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.IF_UNMODIFIED_SINCE, HttpHeaderNames.ACCEPT_ENCODING,
            HttpHeaderNames.VIA, HttpHeaderNames.CONNECTION, HttpHeaderNames.UPGRADE,
            io.ferry.http.ForwardedHeaders.X_FORWARDED_PROTO, io.ferry.http.ForwardedHeaders.X_FORWARDED_HOST,
            EsiPhase.SURROGATE_CAPABILITY);

    private final Exchange ex;
    private final EsiConfig config;
    private final List<EsiTemplate.Segment> segments;
    /** The template's bytes; literals are slices of it. Released when the assembly ends. */
    private final ByteBuf body;
    /** The include's fetch, by segment index (null for literals and includes left out). */
    private final EsiFragment[] fragments;
    private HttpHeaders inherited;
    private BodyEncoder encoder;
    private int next;
    private boolean advancing;
    private boolean over;

    private EsiAssembly(Exchange ex, EsiTemplate template, ByteBuf body) {
        this.ex = ex;
        this.config = ex.runtime.config.esi();
        this.segments = template.segments();
        this.body = body;
        this.fragments = new EsiFragment[segments.size()];
    }

    /**
     * Assembles {@code template} (parsed from {@code body}, which passes to the assembly) under {@code head},
     * whose edge headers are set: the exchange's response from here on.
     */
    static void run(Exchange ex, HttpResponse head, ByteBuf body, EsiTemplate template) {
        new EsiAssembly(ex, template, body).begin(head);
    }

    private void begin(HttpResponse head) {
        HttpHeaders h = head.headers();
        // The page is made here: its length differs, and the template's validators and ranges are not the page's.
        h.remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.CONTENT_ENCODING).remove(HttpHeaderNames.ETAG)
                .remove(HttpHeaderNames.LAST_MODIFIED).remove(HttpHeaderNames.ACCEPT_RANGES).remove(SURROGATE_CONTROL);
        ex.ruleFacts().onEnd(this::cancel);
        if (ex.ctx.esiDepth == 0) {
            encoder = openEncoder(h);
        }
        ex.beginComposed(head);
        if (ex.ctx.method == HttpMethod.HEAD) {
            complete();
            return;
        }
        if (ex.ctx.esiBudget == null) {
            ex.ctx.esiBudget = new int[] {config.maxIncludes()};
        }
        inherited = inheritedFields();
        advancing = true; // fragments answered at once (hits) are written by the loop below, not re-entrantly
        for (int i = 0; i < segments.size(); i++) {
            if (segments.get(i) instanceof EsiTemplate.Include include) {
                fragments[i] = fetch(include.src(), false);
            }
        }
        advancing = false;
        advance();
    }

    /** Compression of the assembled page, when its route compresses its type for this client. */
    private BodyEncoder openEncoder(HttpHeaders h) {
        CompressionConfig c = ex.ctx.route == null ? null : ex.ctx.route.compression();
        if (c == null || !c.enabled() || !CompressionPhase.typeMatches(h.get(HttpHeaderNames.CONTENT_TYPE), c)) {
            return null;
        }
        CompressionPhase.addVary(h);
        CompressionConfig.Algorithm algorithm = Negotiation.choose(ex.ctx.acceptEncoding, c.algorithms());
        if (algorithm == null || ex.ctx.method == HttpMethod.HEAD) {
            return null;
        }
        try {
            BodyEncoder e = Encodings.open(algorithm, c);
            h.set(HttpHeaderNames.CONTENT_ENCODING, algorithm.token);
            return e;
        } catch (IOException | RuntimeException e) {
            log.warn("{} encoder could not start ({}); the ESI page goes uncompressed", algorithm.token, e.toString());
            return null;
        }
    }

    /** The page's request fields its fragments' requests carry: Cookie and Authorization among them, as Varnish passes. */
    private HttpHeaders inheritedFields() {
        HttpHeaders from = ex.ctx.request.headers();
        HttpHeaders h = new DefaultHttpHeaders(false);
        for (Map.Entry<CharSequence, CharSequence> e : iterable(from)) {
            h.add(e.getKey(), e.getValue());
        }
        for (AsciiString name : NOT_INHERITED) {
            h.remove(name);
        }
        h.remove(HttpHeaderNames.COOKIE).remove(HttpHeaderNames.AUTHORIZATION);
        if (ex.ctx.clientCookie != null) {
            h.set(HttpHeaderNames.COOKIE, ex.ctx.clientCookie);
        }
        if (ex.ctx.clientAuthorization != null) {
            h.set(HttpHeaderNames.AUTHORIZATION, ex.ctx.clientAuthorization);
        }
        // The page's request already carries the client's address that Ferry added; its fragments add it again.
        String xff = h.get(io.ferry.http.ForwardedHeaders.X_FORWARDED_FOR);
        String peer = ex.peerIp();
        if (xff != null && peer != null) {
            if (xff.equals(peer)) {
                h.remove(io.ferry.http.ForwardedHeaders.X_FORWARDED_FOR);
            } else if (xff.endsWith(", " + peer)) {
                h.set(io.ferry.http.ForwardedHeaders.X_FORWARDED_FOR, xff.substring(0, xff.length() - peer.length() - 2));
            }
        }
        return h;
    }

    /** Notes the client's Cookie (HTTP/2 may split it over several fields) and Authorization as they came. */
    static void keepClientCredentials(RequestContext ctx, HttpHeaders h) {
        String cookie = h.get(HttpHeaderNames.COOKIE);
        if (cookie != null) {
            List<String> all = h.getAll(HttpHeaderNames.COOKIE);
            ctx.clientCookie = all.size() == 1 ? cookie : String.join("; ", all);
        }
        ctx.clientAuthorization = h.get(HttpHeaderNames.AUTHORIZATION);
    }

    private static Iterable<Map.Entry<CharSequence, CharSequence>> iterable(HttpHeaders h) {
        return h::iteratorCharSequence;
    }

    /** Starts one include's exchange; null when it is left out (too deep). */
    private EsiFragment fetch(String src, boolean isAlt) {
        EsiFragment f = new EsiFragment(this, ex.client, config.maxSize(), src, isAlt);
        if (ex.ctx.esiDepth + 1 > config.maxDepth()) {
            log.debug("{}: ESI include {} left out: deeper than esi.max-depth ({})", ex.ctx.uri, src, config.maxDepth());
            return null;
        }
        if (ex.ctx.esiBudget[0] <= 0) {
            f.failNow("the page has made esi.max-includes (" + config.maxIncludes() + ") includes");
            return f;
        }
        ex.ctx.esiBudget[0]--;
        HttpRequest request = request(src);
        if (request == null) {
            f.failNow("src is not a path or an http(s) URL");
            return f;
        }
        f.started(Exchange.startFragment(ex, request, f));
        return f;
    }

    /** The include's request: its path resolved against the page's, its host the page's unless an absolute URL names one. */
    private HttpRequest request(String src) {
        String host = ex.ctx.host;
        String target;
        int scheme = src.startsWith("http://") ? 7 : src.startsWith("https://") ? 8 : -1;
        if (scheme > 0) {
            int slash = src.indexOf('/', scheme);
            host = slash < 0 ? src.substring(scheme) : src.substring(scheme, slash);
            target = slash < 0 ? "/" : src.substring(slash);
            if (host.isEmpty()) {
                return null;
            }
        } else if (src.startsWith("/")) {
            target = src;
        } else if (src.contains("://") || src.startsWith("//")) {
            return null;
        } else {
            String page = ex.ctx.uri;
            int q = page.indexOf('?');
            String path = q < 0 ? page : page.substring(0, q);
            target = path.substring(0, path.lastIndexOf('/') + 1) + src;
        }
        HttpHeaders h = inherited.copy();
        if (host != null) {
            h.set(HttpHeaderNames.HOST, host);
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target, h);
    }

    /** An include's fetch is complete: write what is now in order. */
    void fragmentDone(EsiFragment f) {
        if (!advancing) {
            advance();
        }
    }

    private void advance() {
        if (over) {
            return;
        }
        advancing = true;
        try {
            while (next < segments.size()) {
                EsiTemplate.Segment s = segments.get(next);
                if (s instanceof EsiTemplate.Literal l) {
                    write(body.retainedSlice(body.readerIndex() + l.offset(), l.length()));
                    next++;
                    continue;
                }
                EsiTemplate.Include include = (EsiTemplate.Include) s;
                EsiFragment f = fragments[next];
                if (f == null) {
                    next++;
                    continue;
                }
                if (!f.complete()) {
                    ex.client.flush(); // what is before the include goes out while it is fetched
                    return;
                }
                String why = f.failure();
                if (why == null) {
                    write(f.takeBody());
                    next++;
                    continue;
                }
                f.takeBody().release();
                if (include.alt() != null && !f.isAlt) {
                    log.info("{}: ESI include {} failed ({}); trying alt {}", ex.ctx.uri, f.src, why, include.alt());
                    fragments[next] = fetch(include.alt(), true);
                    continue;
                }
                if (include.continueOnError()) {
                    log.info("{}: ESI include {} failed ({}); left empty (onerror=continue)", ex.ctx.uri, f.src, why);
                    next++;
                    continue;
                }
                fail("ESI include " + f.src + " failed (" + why + ")");
                return;
            }
            complete();
        } finally {
            advancing = false;
        }
    }

    private void write(ByteBuf part) {
        if (!part.isReadable()) {
            part.release();
            return;
        }
        if (encoder == null) {
            ex.sendComposed(part);
            return;
        }
        ByteBuf out;
        try {
            out = encoder.encode(ex.client.alloc(), part);
        } catch (IOException e) {
            fail("compressing the ESI page failed: " + e.getMessage());
            return;
        } finally {
            part.release();
        }
        if (out.isReadable()) {
            ex.sendComposed(out);
        } else {
            out.release();
        }
    }

    private void complete() {
        if (encoder != null && !over) {
            try {
                ex.sendComposed(encoder.finish(ex.client.alloc()));
            } catch (IOException e) {
                fail("compressing the ESI page failed: " + e.getMessage());
                return;
            }
        }
        end();
        ex.endComposed();
    }

    private void fail(String reason) {
        end();
        ex.giveUp(HttpResponseStatus.BAD_GATEWAY, reason); // the page has begun: its stream is cut
    }

    /** The exchange ended (client gone, or done): nothing more is written, everything held is let go. */
    private void cancel() {
        end();
    }

    private void end() {
        if (over) {
            return;
        }
        over = true;
        for (EsiFragment f : fragments) {
            if (f != null && !f.complete()) {
                f.cancel();
            } else if (f != null) {
                f.takeBody().release();
            }
        }
        body.release();
        if (encoder != null) {
            encoder.close();
        }
    }
}
