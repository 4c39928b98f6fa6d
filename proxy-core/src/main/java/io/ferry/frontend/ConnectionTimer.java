package io.ferry.frontend;

import io.ferry.config.Timeouts;
import io.ferry.exchange.Exchange;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one timer of an HTTP/1.1 connection, through its three waits in turn: for the first byte of the
 * next request (timeouts.http-keep-alive: an idle connection is closed silently), for the rest of its
 * head (timeouts.http-request: a slowloris client gets 408), and during the exchange for the client's
 * activity (timeouts.client, see {@link ClientActivity}). One timer per connection on its loop's
 * {@link TimerWheel}, never cancelled on the way: when it fires it checks the wait of the moment and re-arms
 * itself, never further ahead than the shortest of the three timeouts, so a deadline set later is never
 * missed and a busy connection sets almost nothing per request.
 */
final class ConnectionTimer extends ClientActivity {
    private static final Logger log = LoggerFactory.getLogger(ConnectionTimer.class);
    private static final byte[] TIMEOUT_RESPONSE = ("HTTP/1.1 408 Request Timeout\r\n"
            + "Content-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"
            + "408 Request Timeout\n").getBytes(StandardCharsets.US_ASCII);

    /** The connection the timer watches. */
    interface Owner {
        /** Whether a request or its response is under way (between requests the head waits apply). */
        boolean exchangeTimed();

        /** The exchange in progress, or null when its response is out. */
        Exchange exchangeInProgress();

        /** Response bytes written but not yet taken by the client. */
        long pendingWriteBytes();

        /**
         * Nothing moved for timeouts.client: the exchange in progress decides (a 408, or cutting a client
         * that stopped reading), or with none left the connection ends.
         */
        void timedOut(Exchange exchange);
    }

    enum Wait { NONE, FIRST_BYTE, HEAD, EXCHANGE }

    private final ChannelHandlerContext ctx;
    private final Owner owner;
    /** The timeouts current when the connection was accepted (a reload applies to new connections). */
    private final Timeouts timeouts;
    private Wait wait = Wait.NONE;
    private long deadline;
    private final TimerWheel wheel;

    ConnectionTimer(ChannelHandlerContext ctx, Owner owner, Timeouts timeouts) {
        this.ctx = ctx;
        this.owner = owner;
        this.timeouts = timeouts;
        this.wheel = TimerWheel.of(ctx.executor());
    }

    /** Carries on a head wait begun before the protocol was known (TLS handshake, protocol detection). */
    void continueWait(Wait w, long deadlineNanos) {
        wait = w;
        deadline = deadlineNanos;
        schedule(deadline - System.nanoTime());
    }

    /** The connection waits for its next request. */
    void awaitRequest() {
        wait = Wait.FIRST_BYTE;
        long keepAlive = timeouts.httpKeepAlive().toNanos();
        deadline = System.nanoTime() + keepAlive;
        schedule(keepAlive);
    }

    /** Bytes arrived: if they start a request head, its whole head is due within timeouts.http-request. */
    void bytesRead() {
        if (wait == Wait.FIRST_BYTE) {
            wait = Wait.HEAD;
            deadline = System.nanoTime() + timeouts.httpRequest().toNanos();
        }
    }

    /** A request head was decoded: the client is timed by its activity until the exchange ends. */
    void exchangeStarted() {
        wait = Wait.EXCHANGE;
        touch(System.nanoTime());
        schedule(timeouts.client().toNanos());
    }

    /** Something came from the client. */
    void touch() {
        touch(System.nanoTime());
    }

    /** Nothing to time (a tunnel, a closing connection). */
    void stop() {
        wait = Wait.NONE;
        wheel.cancel(this);
    }

    private void schedule(long delayNanos) {
        if (!isSet()) {
            // never further ahead than the shortest timeout, so no deadline set later comes before it wakes
            long maxSleep = Math.min(timeouts.httpKeepAlive().toNanos(),
                    Math.min(timeouts.httpRequest().toNanos(), timeouts.client().toNanos()));
            wheel.set(this, Math.min(delayNanos, maxSleep));
        }
    }

    @Override
    void expire() {
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        switch (wait) {
            case NONE -> {
            }
            case FIRST_BYTE, HEAD -> {
                long left = deadline - now;
                if (left > 0) {
                    schedule(left);
                } else if (wait == Wait.HEAD) {
                    wait = Wait.NONE;
                    log.debug("{}: request head not complete within timeouts.http-request; 408", ctx.channel());
                    // written below the codec: no request was decoded, so there is no response to frame
                    ChannelHandlerContext below = ctx.pipeline().context(io.ferry.http1.Http1ServerCodec.class);
                    (below != null ? below : ctx).writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT_RESPONSE))
                            .addListener(ChannelFutureListener.CLOSE);
                } else {
                    wait = Wait.NONE;
                    ctx.close(); // idle keepalive connection: closed silently
                }
            }
            case EXCHANGE -> {
                if (!owner.exchangeTimed()) {
                    wait = Wait.NONE;
                    return;
                }
                Exchange exchange = owner.exchangeInProgress();
                long clientNanos = timeouts.client().toNanos();
                long left = remaining(now, clientNanos, exchange == null || exchange.responseStarted(),
                        owner.pendingWriteBytes());
                if (left > 0) {
                    schedule(left);
                    return;
                }
                owner.timedOut(exchange);
                if (wait == Wait.EXCHANGE && owner.exchangeTimed() && ctx.channel().isActive()) {
                    schedule(clientNanos);
                }
            }
        }
    }
}
