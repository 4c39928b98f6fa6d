package io.ferry.exchange;

import io.ferry.compress.BodyEncoder;
import io.ferry.compress.CompressingInput;
import io.ferry.compress.Encodings;
import io.ferry.compress.Negotiation;
import io.ferry.compress.Precompressed;
import io.ferry.config.CompressionConfig;
import io.ferry.config.ExpiresRule;
import io.ferry.files.StaticFiles;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedNioFile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/**
 * A file of a FastCGI backend's document root, answered by Ferry: zero-copy (sendfile) on plain
 * connections, in chunks through TLS; conditional requests and single ranges per {@link StaticFiles}.
 */
final class StaticFileResponder implements Responder {
    private final Path file;
    private final ExpiresRule expires;

    /** @param expires the lifetime the file's path gets (fastcgi.expires), or null */
    StaticFileResponder(Path file, ExpiresRule expires) {
        this.file = file;
        this.expires = expires;
    }

    @Override
    public void respond(Exchange ex) {
        if (ex.ctx.method != HttpMethod.GET && ex.ctx.method != HttpMethod.HEAD) {
            ex.giveUp(HttpResponseStatus.METHOD_NOT_ALLOWED, ex.ctx.method + " on a static file");
            return;
        }
        CompressionConfig compression = ex.ctx.route == null ? null : ex.ctx.route.compression();
        boolean varies = compression != null && compression.enabled()
                && CompressionPhase.typeMatches(StaticFiles.contentType(file), compression);
        boolean whole = !ex.ctx.request.headers().contains(HttpHeaderNames.RANGE);
        Precompressed.Choice sibling = varies && whole && compression.precompressed()
                ? Precompressed.pick(file, ex.ctx.acceptEncoding, compression) : null;
        Path served = sibling != null ? sibling.file() : file;
        StaticFiles.Plan plan;
        RandomAccessFile raf = null;
        try {
            plan = StaticFiles.plan(served, ex.ctx.method, ex.ctx.request.headers(), expires);
            if (varies) {
                HttpHeaders h = plan.head().headers();
                h.set(HttpHeaderNames.VARY, "Accept-Encoding");
                if (sibling != null) { // the original's type, the sibling's bytes
                    if (h.contains(HttpHeaderNames.CONTENT_TYPE)) {
                        h.set(HttpHeaderNames.CONTENT_TYPE, StaticFiles.contentType(file));
                    }
                    h.set(HttpHeaderNames.CONTENT_ENCODING, sibling.algorithm().token);
                }
            }
            if (plan.length() > 0) {
                raf = new RandomAccessFile(served.toFile(), "r");
            }
        } catch (IOException e) {
            ex.giveUp(HttpResponseStatus.NOT_FOUND, "cannot read " + file + ": " + e.getMessage());
            return;
        }
        Object body = null;
        Object last = LastHttpContent.EMPTY_LAST_CONTENT;
        BodyEncoder encoder = varies && whole && sibling == null && raf != null && plan.head().status().code() == 200
                && plan.length() >= compression.minLength() ? encoder(ex, compression, plan.head().headers()) : null;
        if (encoder != null) { // no sibling: compressed as it is read (nginx gzip on); sendfile stays for identity
            try {
                last = new CompressingInput(new ChunkedNioFile(raf.getChannel(), plan.offset(), plan.length(), 16 * 1024),
                        encoder);
            } catch (IOException e) {
                encoder.close();
                closeQuietly(raf);
                ex.giveUp(HttpResponseStatus.NOT_FOUND, "cannot read " + file + ": " + e.getMessage());
                return;
            }
        } else if (raf != null && !ex.client.takesFileRegions()) {
            try {
                last = new HttpChunkedInput(new ChunkedNioFile(raf.getChannel(), plan.offset(), plan.length(), 16 * 1024));
            } catch (IOException e) {
                closeQuietly(raf);
                ex.giveUp(HttpResponseStatus.NOT_FOUND, "cannot read " + file + ": " + e.getMessage());
                return;
            }
        } else if (raf != null) {
            body = new DefaultFileRegion(raf.getChannel(), plan.offset(), plan.length());
        }
        ex.record.bytesSent = encoder != null ? 0 : plan.length();
        ex.sendLocal(plan.head(), body, last);
    }

    /** The encoder for a whole file the client takes compressed, its head made to say so; null when it goes as it is. */
    private static BodyEncoder encoder(Exchange ex, CompressionConfig compression, HttpHeaders h) {
        if (ex.ctx.method != HttpMethod.GET) {
            return null;
        }
        CompressionConfig.Algorithm algorithm = Negotiation.choose(ex.ctx.acceptEncoding, compression.algorithms());
        if (algorithm == null) {
            return null;
        }
        BodyEncoder encoder;
        try {
            encoder = Encodings.open(algorithm, compression);
        } catch (IOException | RuntimeException e) {
            return null; // the file goes as it is; Encodings has said why the encoding is missing
        }
        h.remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.ACCEPT_RANGES);
        h.set(HttpHeaderNames.CONTENT_ENCODING, algorithm.token);
        String etag = h.get(HttpHeaderNames.ETAG);
        if (etag != null && !etag.startsWith("W/")) {
            h.set(HttpHeaderNames.ETAG, "W/" + etag); // RFC 9110 §8.8.3: other bytes than the file's
        }
        return encoder;
    }

    private static void closeQuietly(RandomAccessFile raf) {
        try {
            raf.close();
        } catch (IOException e) {
            // nothing to add: the file could not be read anyway
        }
    }
}
