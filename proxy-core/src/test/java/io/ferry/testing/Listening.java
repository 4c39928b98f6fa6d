package io.ferry.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;

/** Whether something accepts connections on a loopback port (a server a test started). */
public final class Listening {
    private Listening() {
    }

    public static boolean on(int port) {
        return on(InetAddress.getLoopbackAddress().getHostAddress(), port);
    }

    /** On another loopback address (127.0.0.2 …). */
    public static boolean on(String host, int port) {
        try (Socket s = new Socket(host, port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }
}
