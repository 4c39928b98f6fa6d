package io.ferry.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A byte-level origin on 127.0.0.1, one thread per connection: it reads each request head as raw bytes
 * (for exact-bytes assertions) and then runs a {@link Behaviour}, which may answer well, send garbage,
 * hang, or reset. Bodies are not read unless the behaviour reads them.
 */
public final class RawOrigin implements AutoCloseable {
    /** What to do with one request on a connection; return false to close the connection. */
    @FunctionalInterface
    public interface Behaviour {
        boolean handle(Socket socket, String head) throws IOException;
    }

    private final ServerSocket server;
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile Behaviour behaviour;

    public RawOrigin(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "raw-origin-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A behaviour that sends {@code response} verbatim and keeps the connection. */
    public static Behaviour reply(String response) {
        return (socket, head) -> {
            socket.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return true;
        };
    }

    public int port() {
        return server.getLocalPort();
    }

    public List<String> heads() {
        return heads;
    }

    public void setBehaviour(Behaviour behaviour) {
        this.behaviour = behaviour;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                Thread t = new Thread(() -> serve(s), "raw-origin-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                heads.add(head);
                if (!behaviour.handle(s, head)) {
                    return;
                }
            }
        } catch (IOException e) {
            // connection ended
        }
    }

    /** Reads up to and including the blank line; null at end of stream. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            buf.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                    ? state + 1 : (b == '\r' ? 1 : 0);
        }
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
