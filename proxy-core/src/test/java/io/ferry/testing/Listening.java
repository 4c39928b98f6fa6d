package io.ferry.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;

/** Whether something accepts connections on a loopback port (a server a test started). */
public final class Listening {
    private Listening() {
    }

    public static boolean on(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }
}
