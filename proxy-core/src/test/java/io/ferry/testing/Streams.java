package io.ferry.testing;

import java.io.IOException;
import java.io.InputStream;

/** Reading a response as it streams, byte by byte, for tests that watch what arrives before the end. */
public final class Streams {
    private Streams() {
    }

    /** Reads until {@code want} has arrived (or the stream ends); returns all that was read. */
    public static String readUntil(InputStream in, String want) throws IOException {
        StringBuilder seen = new StringBuilder();
        while (!seen.toString().contains(want)) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            seen.append((char) b);
        }
        return seen.toString();
    }
}
