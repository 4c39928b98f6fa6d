package io.ferry.frontend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The coalescer on its own: what leaves it between flushes, in what order and how many buffers, and
 * when the writes' promises complete. (Every HTTP/2 test also runs through it over real sockets.)
 */
class WriteCoalescerTest {

    private static ByteBuf bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i);
        }
        return Unpooled.directBuffer(n).writeBytes(b);
    }

    private static byte[] array(ByteBuf b) {
        return ByteBufUtil.getBytes(b);
    }

    /** Everything the channel sent, one entry per buffer the socket was handed. */
    private static List<ByteBuf> drain(EmbeddedChannel ch) {
        List<ByteBuf> out = new ArrayList<>();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            out.add(b);
        }
        return out;
    }

    /** Releases what the test read and checks nothing else was left in the channel. */
    private static void releaseAndFinish(EmbeddedChannel ch, List<ByteBuf> out) {
        out.forEach(ByteBuf::release);
        assertFalse(ch.finish());
    }

    @Test
    void smallWritesBetweenFlushesLeaveAsOneBufferInOrder() {
        EmbeddedChannel ch = new EmbeddedChannel(new WriteCoalescer());
        ByteBuf a = bytes(9, 1);
        ByteBuf b = bytes(1024, 2);
        ByteBuf c = bytes(30, 3);
        byte[] expected = new byte[9 + 1024 + 30];
        a.getBytes(0, expected, 0, 9);
        b.getBytes(0, expected, 9, 1024);
        c.getBytes(0, expected, 1033, 30);
        ChannelFuture fa = ch.write(a);
        ChannelFuture fb = ch.write(b);
        ch.write(c, ch.voidPromise());
        assertNull(ch.readOutbound(), "nothing leaves before the flush");
        assertFalse(fa.isDone(), "a promise waits for its batch to be written");
        assertEquals(0, a.refCnt(), "a copied buffer is released at once");
        ch.flush();
        List<ByteBuf> out = drain(ch);
        assertEquals(1, out.size());
        assertArrayEquals(expected, array(out.get(0)));
        assertTrue(fa.isSuccess() && fb.isSuccess());
        releaseAndFinish(ch, out);
    }

    @Test
    void aLargeBufferPassesAsItIsAfterWhatWasBatchedBeforeIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new WriteCoalescer());
        ByteBuf header = bytes(9, 5);
        ByteBuf large = bytes(WriteCoalescer.MAX_COPY + 1, 6);
        ByteBuf after = bytes(9, 7);
        ch.write(header);
        ch.write(large);
        ch.writeAndFlush(after);
        List<ByteBuf> out = drain(ch);
        assertEquals(3, out.size());
        assertSame(header, out.get(0), "a small write alone before a large one is not copied");
        assertSame(large, out.get(1), "not copied");
        assertEquals(9, out.get(2).readableBytes());
        assertEquals(7, out.get(2).getByte(0));
        releaseAndFinish(ch, out);
    }

    @Test
    void aSmallWriteAloneBeforeTheFlushIsNotCopied() {
        EmbeddedChannel ch = new EmbeddedChannel(new WriteCoalescer());
        ByteBuf only = bytes(20, 4);
        ChannelFuture f = ch.writeAndFlush(only);
        assertSame(only, ch.readOutbound());
        assertTrue(f.isSuccess());
        only.release();
        assertFalse(ch.finish());
    }

    @Test
    void aFullBatchIsHandedOnBeforeTheFlushSoWritabilitySeesIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new WriteCoalescer());
        int frames = 2 * WriteCoalescer.BATCH / 1000 + 1;
        long before = ch.unsafe().outboundBuffer().totalPendingWriteBytes();
        for (int i = 0; i < frames; i++) {
            ch.write(bytes(1000, i));
        }
        long pending = ch.unsafe().outboundBuffer().totalPendingWriteBytes() - before;
        assertTrue(pending >= WriteCoalescer.BATCH - 1000, "full batches count against writability: " + pending);
        ch.flush();
        List<ByteBuf> out = drain(ch);
        assertEquals(3, out.size());
        int total = 0;
        for (ByteBuf b : out) {
            assertTrue(b.readableBytes() <= WriteCoalescer.BATCH);
            total += b.readableBytes();
        }
        assertEquals(frames * 1000, total);
        releaseAndFinish(ch, out);
    }

    @Test
    void aBatchLeftWhenTheChannelClosesFailsItsPromisesAndLeaksNothing() {
        EmbeddedChannel ch = new EmbeddedChannel(new WriteCoalescer());
        ChannelFuture f1 = ch.write(bytes(100, 1));
        ChannelFuture f2 = ch.write(bytes(100, 2));
        ch.close();
        assertTrue(f1.isDone() && f2.isDone());
        assertFalse(f1.isSuccess() || f2.isSuccess());
        assertTrue(f1.cause() instanceof ClosedChannelException, String.valueOf(f1.cause()));
        assertNull(ch.readOutbound());
        ChannelFuture late = ch.write(bytes(100, 3));
        assertTrue(late.isDone() && !late.isSuccess(), "a write after the close fails at once");
        assertFalse(ch.finish());
    }

    @Test
    void aBatchThatFailsToBeWrittenFailsEveryWriteInIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void write(io.netty.channel.ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise p) {
                io.netty.util.ReferenceCountUtil.release(msg);
                p.setFailure(new IllegalStateException("refused"));
            }
        }, new WriteCoalescer());
        ChannelFuture f1 = ch.write(bytes(10, 1));
        ChannelFuture f2 = ch.write(bytes(10, 2));
        ch.flush();
        assertEquals("refused", f1.cause().getMessage());
        assertEquals("refused", f2.cause().getMessage());
        assertFalse(ch.finish());
    }
}
