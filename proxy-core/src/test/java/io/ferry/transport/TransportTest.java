package io.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.ferry.config.TransportKind;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;

class TransportTest {
    /** Multishot polls lose wake-ups when autoRead flips (see Transport); io_uring must run with one-shot ones. */
    @Test
    void ioUringPollsAreOneShot() {
        Transport t = Transport.select(TransportKind.AUTO);
        if (t.name().equals("io_uring")) {
            assertFalse(IoUring.isPollAddMultishotEnabled(), "Netty read the property before Ferry set it");
        }
        assertEquals("false", System.getProperty(Transport.MULTISHOT_POLL));
    }
}
