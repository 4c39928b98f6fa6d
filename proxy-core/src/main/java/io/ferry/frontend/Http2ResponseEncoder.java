package io.ferry.frontend;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import io.netty.util.ReferenceCountUtil;

/**
 * A response as the exchange writes it (head, body parts, last part with trailers) becomes HTTP/2 frames
 * for its stream: HEADERS, DATA, trailing HEADERS. Connection-specific fields are left out (RFC 9113
 * §8.2.2); no empty DATA frame is sent except to end the stream. The write's promise completes with the
 * last frame of the object.
 */
final class Http2ResponseEncoder extends ChannelOutboundHandlerAdapter {
    private static final FastThreadLocal<HashMap<CharSequence, AsciiString>> LOWER_CASE_NAMES =
            new FastThreadLocal<>() {
                @Override
                protected HashMap<CharSequence, AsciiString> initialValue() {
                    return new HashMap<>();
                }
            };
    /** Fields HTTP/2 forbids in a response; the exchange has removed hop-by-hop ones, Ferry's own answers may carry these. */
    private static final Set<AsciiString> CONNECTION_SPECIFIC = Set.of(HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.UPGRADE, HttpHeaderNames.TE);

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof HttpObject)) {
            ctx.write(msg, promise);
            return;
        }
        try {
            encode(ctx, (HttpObject) msg, promise);
        } finally {
            ReferenceCountUtil.release(msg); // the frames hold their own references to the content
        }
    }

    /** :status and the fields, lower-cased; connection-specific ones left out (RFC 9113 §8.2.2). */
    static Http2Headers head(HttpResponse res) {
        HttpHeaders in = res.headers();
        DefaultHttp2Headers out = new DefaultHttp2Headers(false, in.size() + 1);
        out.status(res.status().codeAsText());
        return fields(in, out);
    }

    private static Http2Headers fields(HttpHeaders in, Http2Headers out) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            AsciiString name = lowerCase(field.getKey());
            if (!CONNECTION_SPECIFIC.contains(name)) {
                out.add(name, field.getValue());
            }
        }
        return out;
    }

    /**
     * HTTP/2 field names are lower case. Names parsed from an upstream response are Strings: their
     * lower-cased form is kept per thread, so the usual few dozen names cost a map lookup, not two copies.
     */
    private static AsciiString lowerCase(CharSequence name) {
        if (name instanceof AsciiString ascii) {
            return ascii.toLowerCase();
        }
        HashMap<CharSequence, AsciiString> names = LOWER_CASE_NAMES.get();
        AsciiString lower = names.get(name);
        if (lower == null) {
            lower = AsciiString.of(name).toLowerCase();
            if (names.size() >= 512) {
                names.clear(); // bounded: a client of odd field names cannot grow it
            }
            names.put(name.toString(), lower);
        }
        return lower;
    }

    private static void encode(ChannelHandlerContext ctx, HttpObject msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse res) {
            boolean interim = res.status().code() < 200;
            boolean full = res instanceof FullHttpResponse;
            boolean bodyFollows = interim || !full || ((FullHttpResponse) res).content().isReadable()
                    || !((FullHttpResponse) res).trailingHeaders().isEmpty();
            var headers = new DefaultHttp2HeadersFrame(head(res), !bodyFollows);
            if (!bodyFollows || !full) {
                ctx.write(headers, promise);
                return;
            }
            ctx.write(headers, ctx.voidPromise());
        }
        if (msg instanceof LastHttpContent last) {
            HttpHeaders trailers = last.trailingHeaders();
            if (trailers.isEmpty()) {
                ctx.write(new DefaultHttp2DataFrame(last.content().retain(), true), promise);
                return;
            }
            if (last.content().isReadable()) {
                ctx.write(new DefaultHttp2DataFrame(last.content().retain(), false), ctx.voidPromise());
            }
            ctx.write(new DefaultHttp2HeadersFrame(fields(trailers, new DefaultHttp2Headers(false, trailers.size())),
                    true), promise);
        } else if (msg instanceof HttpContent content && content.content().isReadable()) {
            ctx.write(new DefaultHttp2DataFrame(content.content().retain(), false), promise);
        } else {
            promise.trySuccess(); // an empty part: nothing to frame
        }
    }
}
