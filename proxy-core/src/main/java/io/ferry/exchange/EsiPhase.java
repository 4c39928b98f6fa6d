package io.ferry.exchange;

import io.ferry.cache.CachedResponse;
import io.ferry.compress.GzipDecoder;
import io.ferry.config.EsiConfig;
import io.ferry.esi.EsiParser;
import io.ferry.esi.EsiTemplate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.util.Locale;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ESI on the way out (Varnish's do_esi). {@link Detection} runs early and marks a template — a 200 to a
 * GET whose Surrogate-Control says {@code content="ESI/1.0"}, or any textual 200 of a route with {@code esi
 * = true} — so compression leaves it alone and the cache stores it as the backend sent it. {@link Assembly}
 * runs last: it keeps the template's head, collects its body (at most esi.max-size; a larger one goes out
 * as it is), parses it and hands it to {@link EsiAssembly}. A cache hit on a template is assembled from
 * the stored bytes and the template parsed when it was first served ({@link #fromCache}).
 */
final class EsiPhase {
    private static final Logger log = LoggerFactory.getLogger(EsiPhase.class);
    static final AsciiString SURROGATE_CAPABILITY = AsciiString.cached("surrogate-capability");
    /** What Ferry tells backends it can do (the Edge Architecture's Surrogate-Capability; Symfony and Drupal look for ESI/1.0). */
    static final String CAPABILITY = "ferry=\"ESI/1.0\"";

    private EsiPhase() {
    }

    /** Whether a response with {@code status} and these fields, for this exchange, is a template to assemble. */
    static boolean isTemplate(Exchange ex, int status, Function<CharSequence, String> field) {
        ProxyRuntime.RouteTarget route = ex.ctx.route;
        if (route == null || status != 200 || ex.ctx.method != HttpMethod.GET && ex.ctx.method != HttpMethod.HEAD
                || !ex.runtime.esiAvailable(route)) {
            return false;
        }
        boolean marked = EsiParser.announcesEsi(field.apply("surrogate-control"))
                || route.esi() == EsiConfig.RouteMode.ON && textual(field.apply(HttpHeaderNames.CONTENT_TYPE));
        if (!marked) {
            return false;
        }
        String encoding = field.apply(HttpHeaderNames.CONTENT_ENCODING);
        return encoding == null || encoding.trim().equalsIgnoreCase("identity") || encoding.trim().equalsIgnoreCase("gzip");
    }

    private static boolean textual(String contentType) {
        if (contentType == null) {
            return false;
        }
        String t = contentType.toLowerCase(Locale.ROOT);
        return t.startsWith("text/") || t.startsWith("application/xhtml+xml") || t.startsWith("application/xml");
    }

    private static boolean gzip(String encoding) {
        return encoding != null && encoding.trim().equalsIgnoreCase("gzip");
    }

    /** The template's bytes as sent, or decoded from gzip (null when the gzip is broken or over the limit). */
    private static ByteBuf decoded(Exchange ex, ByteBuf raw, boolean gzipped) {
        if (!gzipped) {
            return raw;
        }
        try (GzipDecoder d = new GzipDecoder(ex.runtime.config.esi().maxSize())) {
            return d.decode(ex.client.alloc(), raw);
        } catch (IOException e) {
            log.warn("{}: the ESI template's gzip could not be decoded: {}", ex.ctx.uri, e.getMessage());
            return null;
        } finally {
            raw.release();
        }
    }

    /**
     * A hit on a stored template: assembled from the object's bytes ({@code body}, a retained reference that
     * passes here), with the template parsed once per object. Returns false when the object is no template.
     */
    static boolean fromCache(Exchange ex, CacheFront front, CachedResponse object, ByteBuf body, String label) {
        if (!isTemplate(ex, object.status(), name -> object.header(name.toString()))) {
            return false;
        }
        CacheFront.ParsedTemplate parsed = front.esiTemplates.getIfPresent(object);
        ByteBuf source;
        if (parsed == null) {
            ByteBuf bytes = decoded(ex, body, gzip(object.header("content-encoding")));
            if (bytes == null) {
                ex.giveUp(io.netty.handler.codec.http.HttpResponseStatus.BAD_GATEWAY, "stored ESI template unreadable");
                return true;
            }
            EsiTemplate template = EsiParser.parse(bytes);
            byte[] copy = bytes == body ? null : io.netty.buffer.ByteBufUtil.getBytes(bytes);
            parsed = new CacheFront.ParsedTemplate(template, copy);
            front.esiTemplates.put(object, parsed);
            source = bytes;
        } else if (parsed.decoded() != null) {
            body.release();
            source = Unpooled.wrappedBuffer(parsed.decoded());
        } else {
            source = body;
        }
        HttpResponse head = front.responseHead(object, label);
        ex.runtime.forwarded.onResponse(head.headers(), io.netty.handler.codec.http.HttpVersion.HTTP_1_1);
        ex.addEdgeHeaders(head);
        if (ex.record.cacheStatus == null) {
            ex.record.cacheStatus = label;
        }
        EsiAssembly.run(ex, head, source, parsed.template());
        return true;
    }

    /** Marks templates before compression and the cache see them. */
    static final class Detection implements ResponsePhase {
        @Override
        public Next onHead(Exchange ex, HttpResponse response) {
            if (isTemplate(ex, response.status().code(), response.headers()::get)) {
                ex.ctx.esiTemplate = true;
            }
            return Next.CONTINUE;
        }
    }

    /** Keeps a template's head, collects its body, assembles the page at its end. The last response phase. */
    static final class Assembly implements ResponsePhase {
        @Override
        public Next onHead(Exchange ex, HttpResponse response) {
            RequestContext ctx = ex.ctx;
            if (!ctx.esiTemplate) {
                return Next.CONTINUE;
            }
            ctx.esiHead = response;
            ctx.esiBody = ex.client.alloc().compositeBuffer(1024);
            ex.ruleFacts().onEnd(() -> {
                if (ctx.esiBody != null) { // the exchange ended before the template was complete
                    ctx.esiBody.release();
                    ctx.esiBody = null;
                }
            });
            return Next.WAIT;
        }

        @Override
        public HttpContent onBody(Exchange ex, HttpContent part) {
            RequestContext ctx = ex.ctx;
            if (ctx.esiBody == null) {
                return part;
            }
            ByteBuf overflow = collect(ex, part.content());
            part.release();
            return overflow == null ? null : new DefaultHttpContent(overflow);
        }

        @Override
        public LastHttpContent onEnd(Exchange ex, LastHttpContent last) {
            RequestContext ctx = ex.ctx;
            if (ctx.esiBody == null) {
                return last;
            }
            ByteBuf overflow = collect(ex, last.content());
            if (overflow != null) {
                LastHttpContent end = new DefaultLastHttpContent(overflow, last.trailingHeaders());
                last.release();
                return end;
            }
            last.release();
            CompositeByteBuf raw = ctx.esiBody;
            ctx.esiBody = null;
            HttpResponse head = ctx.esiHead;
            ctx.esiHead = null;
            ByteBuf bytes = decoded(ex, raw, gzip(head.headers().get(HttpHeaderNames.CONTENT_ENCODING)));
            if (bytes == null) {
                ex.giveUp(io.netty.handler.codec.http.HttpResponseStatus.BAD_GATEWAY, "ESI template's gzip unreadable");
                return null;
            }
            io.ferry.esi.EsiTemplate template = EsiParser.parse(bytes);
            ex.note("esi: a template with " + template.includes() + " includes");
            EsiAssembly.run(ex, head, bytes, template);
            return null;
        }

        /**
         * Adds {@code part} (not released) to the template; null when it fits. A template over esi.max-size
         * goes out as the backend sent it: the kept head now, and what was collected is returned to pass on.
         */
        private static ByteBuf collect(Exchange ex, ByteBuf part) {
            RequestContext ctx = ex.ctx;
            long max = ex.runtime.config.esi().maxSize();
            if (ctx.esiBody.readableBytes() + (long) part.readableBytes() <= max) {
                ctx.esiBody.addComponent(true, part.retain());
                return null;
            }
            log.warn("{}: ESI template larger than esi.max-size ({} bytes); sent as it is", ctx.uri, max);
            CompositeByteBuf held = ctx.esiBody;
            ctx.esiBody = null;
            ctx.esiTemplate = false;
            ex.releaseHeldHead(ctx.esiHead);
            ctx.esiHead = null;
            held.addComponent(true, part.retain());
            return held;
        }
    }
}
