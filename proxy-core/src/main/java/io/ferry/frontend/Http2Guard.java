package io.ferry.frontend;

import io.ferry.config.Http2Config;
import io.ferry.exchange.ProxySettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards one HTTP/2 client connection: a budget of frames that cost the server work but carry no request
 * (PING, SETTINGS, PRIORITY, WINDOW_UPDATE of under 1 KiB, empty DATA, unknown types) per window, past
 * which the connection ends with GOAWAY ENHANCE_YOUR_CALM; and the one place every protocol error the
 * decoder raises passes, where the protections Netty enforces (rapid reset, CONTINUATION and empty DATA
 * floods, header list size, malformed headers) are logged and counted by kind, and the errors Netty
 * raises for frames on streams in the wrong state are given the codes RFC 9113 §5.1 asks for
 * ({@link StreamStates}).
 */
final class Http2Guard extends DecoratingHttp2ConnectionDecoder {
    private static final Logger log = LoggerFactory.getLogger(Http2Guard.class);
    /** Smaller window increments are what a "dribble" or a WINDOW_UPDATE flood sends; real clients send more. */
    private static final int SMALL_WINDOW_UPDATE = 1024;

    private final ProxySettings settings;
    private final StreamStates streamStates = new StreamStates();
    private final int maxControlFrames;
    private final long windowNanos;
    private long windowStart = System.nanoTime();
    private int controlFrames;

    Http2Guard(Http2ConnectionDecoder delegate, ProxySettings settings, Http2Config config) {
        super(delegate);
        delegate.connection().addListener(streamStates);
        this.settings = settings;
        this.maxControlFrames = config.maxControlFrames();
        this.windowNanos = config.controlFrameWindow().toNanos();
    }

    @Override
    public void frameListener(Http2FrameListener listener) {
        super.frameListener(listener == null ? null : new Counting(listener));
    }

    @Override
    public Http2FrameListener frameListener() {
        Http2FrameListener l = super.frameListener();
        return l instanceof Counting c ? c.listener() : l;
    }

    @Override
    public void decodeFrame(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Http2Exception {
        try {
            try {
                super.decodeFrame(ctx, in, out);
            } catch (Http2Exception.StreamException e) {
                throw streamStates.asRfc9113(e, connection());
            }
        } catch (Http2Exception e) {
            String kind = kind(e);
            if (kind != null) {
                settings.metrics().http2Protection(settings.listener(), kind);
                if (e instanceof Http2Exception.StreamException) {
                    log.debug("{}: HTTP/2 stream error ({}): {}", ctx.channel(), kind, e.getMessage());
                } else {
                    log.info("{}: HTTP/2 connection ended ({}): {}", ctx.channel(), kind, e.getMessage());
                }
            }
            throw e;
        }
    }

    /** Which protection an error is, by what raised it; null for an ordinary protocol error. */
    static String kind(Http2Exception e) {
        String m = String.valueOf(e.getMessage());
        if (e instanceof Http2Exception.HeaderListSizeException || m.contains("Header size exceeded")) {
            return "header_list_size";
        }
        if (e.error() == Http2Error.ENHANCE_YOUR_CALM) {
            if (m.contains("RST")) {
                return "rapid_reset";
            }
            if (m.toLowerCase(java.util.Locale.ROOT).contains("continuation")) {
                return "continuation_flood";
            }
            if (m.contains("empty data")) {
                return "empty_data_flood";
            }
            return m.contains("control frames") ? "control_flood" : "enhance_your_calm";
        }
        if (e.error() == Http2Error.PROTOCOL_ERROR && e instanceof Http2Exception.StreamException) {
            return "malformed";
        }
        return null;
    }

    private void controlFrame(ChannelHandlerContext ctx, String what) throws Http2Exception {
        long now = System.nanoTime();
        if (now - windowStart > windowNanos) {
            windowStart = now;
            controlFrames = 0;
        }
        if (++controlFrames > maxControlFrames) {
            throw Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM,
                    "more than %d control frames (last: %s) within http2.control-frame-window", maxControlFrames,
                    what);
        }
    }

    /** Counts the frames of the budget on their way to the codec's own listener. */
    private final class Counting extends Http2FrameListenerDecorator {
        Counting(Http2FrameListener listener) {
            super(listener);
        }

        Http2FrameListener listener() {
            return listener;
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                boolean endOfStream) throws Http2Exception {
            streamStates.opened(streamId);
            super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                short weight, boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
            streamStates.opened(streamId);
            super.onHeadersRead(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream);
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream)
                throws Http2Exception {
            if (!endOfStream && !data.isReadable()) {
                controlFrame(ctx, "empty DATA");
            }
            return super.onDataRead(ctx, streamId, data, padding, endOfStream);
        }

        @Override
        public void onPingRead(ChannelHandlerContext ctx, long data) throws Http2Exception {
            controlFrame(ctx, "PING");
            super.onPingRead(ctx, data);
        }

        @Override
        public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings s) throws Http2Exception {
            controlFrame(ctx, "SETTINGS");
            super.onSettingsRead(ctx, s);
        }

        @Override
        public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
                boolean exclusive) throws Http2Exception {
            controlFrame(ctx, "PRIORITY");
            super.onPriorityRead(ctx, streamId, streamDependency, weight, exclusive);
        }

        @Override
        public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int increment) throws Http2Exception {
            if (increment < SMALL_WINDOW_UPDATE) {
                controlFrame(ctx, "WINDOW_UPDATE");
            }
            super.onWindowUpdateRead(ctx, streamId, increment);
        }

        @Override
        public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
                ByteBuf payload) throws Http2Exception {
            controlFrame(ctx, "unknown type " + frameType);
            super.onUnknownFrame(ctx, frameType, streamId, flags, payload);
        }
    }
}
