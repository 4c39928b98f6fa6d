package io.ferry.frontend;

import io.ferry.http1.HeaderBlock;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A response head or trailers as the exchange made them, as HTTP/2 fields: names lower-cased, and the
 * connection-specific fields HTTP/2 forbids left out (RFC 9113 §8.2.2).
 */
public final class Http2ResponseHeaders {
    /** The exchange has removed hop-by-hop fields; Ferry's own answers may still carry these. */
    private static final Set<AsciiString> CONNECTION_SPECIFIC = Set.of(HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.UPGRADE, HttpHeaderNames.TE);

    private Http2ResponseHeaders() {
    }

    /** :status and the fields. */
    public static Http2Headers head(HttpResponse res) {
        HttpHeaders in = res.headers();
        Http2Headers out = new ResponseFields(in.size()).status(res.status().codeAsText());
        return fields(in, out);
    }

    /** An interim response without fields (100 Continue). */
    static Http2Headers status(HttpResponseStatus status) {
        return new ResponseFields(0).status(status.codeAsText());
    }

    static Http2Headers trailers(HttpHeaders in) {
        return fields(in, new ResponseFields(in.size()));
    }

    private static Http2Headers fields(HttpHeaders in, Http2Headers out) {
        if (in instanceof HeaderBlock block) { // a proxied response: its names and values without copies
            block.forEachLowerCase(out, Http2ResponseHeaders::addUnlessConnectionSpecific);
            return out;
        }
        Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            addUnlessConnectionSpecific(out, HeaderBlock.lowerCase(field.getKey()), field.getValue());
        }
        return out;
    }

    private static void addUnlessConnectionSpecific(Http2Headers out, AsciiString name, CharSequence value) {
        if (!CONNECTION_SPECIFIC.contains(name)) {
            out.add(name, value);
        }
    }
}
