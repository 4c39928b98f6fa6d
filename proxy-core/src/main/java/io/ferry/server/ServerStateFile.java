package io.ferry.server;

import io.ferry.upstream.ServerState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy's server-state-file for Ferry ({@code global.state-file}): what an operator set and what the
 * health checks found, kept across a restart. One line per fact:
 * <pre>
 * server &lt;backend&gt; &lt;address&gt; ready|drain up|down
 * added &lt;backend&gt; &lt;address&gt; &lt;weight&gt;
 * removed &lt;backend&gt; &lt;address&gt;
 * </pre>
 * Written whole to a temporary file and renamed over the old one, so a reader never sees half of it;
 * a line it cannot read is logged and skipped, never fatal.
 */
final class ServerStateFile {
    private static final Logger log = LoggerFactory.getLogger(ServerStateFile.class);
    private static final String HEADER = "# Ferry server state (global.state-file): written by Ferry, read when it starts\n";

    /** One server's saved state. */
    record Saved(boolean drained, boolean down) {
    }

    private final Path file;

    ServerStateFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    /** Reads the file into {@code servers} (by {@code backend address}) and {@code changes}; a missing file is empty. */
    void read(Map<String, Saved> servers, RuntimeServers changes) {
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            log.warn("state-file {} not read ({}): starting without it", file, e.toString());
            return;
        }
        int n = 0;
        for (String line : lines) {
            n++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] f = t.split("\\s+");
            try {
                switch (f[0]) {
                    case "server" -> {
                        check(f.length == 5 && (f[3].equals("ready") || f[3].equals("drain"))
                                && (f[4].equals("up") || f[4].equals("down")));
                        servers.put(f[1] + ' ' + f[2], new Saved(f[3].equals("drain"), f[4].equals("down")));
                    }
                    case "added" -> {
                        check(f.length == 4);
                        changes.add(f[1], f[2], Integer.parseInt(f[3]));
                    }
                    case "removed" -> {
                        check(f.length == 3);
                        changes.remove(f[1], f[2]);
                    }
                    default -> check(false);
                }
            } catch (IllegalArgumentException e) {
                log.warn("state-file {} line {} not understood, skipped: {}", file, n, t);
            }
        }
    }

    private static void check(boolean ok) {
        if (!ok) {
            throw new IllegalArgumentException();
        }
    }

    /** Writes the current state: every server's drain and health, and the operator's server changes. */
    void write(Map<String, ServerState> states, RuntimeServers changes) {
        StringBuilder sb = new StringBuilder(HEADER);
        for (Map.Entry<String, ServerState> e : states.entrySet()) {
            ServerState s = e.getValue();
            sb.append("server ").append(e.getKey()).append(s.drained() ? " drain" : " ready")
                    .append(s.health().checkedDown() ? " down" : " up").append('\n');
        }
        changes.added().forEach((backend, servers) -> servers.forEach((address, weight) ->
                sb.append("added ").append(backend).append(' ').append(address).append(' ').append(weight).append('\n')));
        changes.removed().forEach((backend, servers) -> servers.forEach(address ->
                sb.append("removed ").append(backend).append(' ').append(address).append('\n')));
        try {
            Path dir = file.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, ".ferry-state", ".tmp");
            Files.writeString(tmp, sb, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("state-file {} not written: {}", file, e.toString());
        }
    }

    /** Applies saved drains and DOWN verdicts to the servers of a fresh start. */
    static void apply(Map<String, Saved> saved, Map<String, ServerState> states, Map<String, Boolean> checked) {
        saved.forEach((key, s) -> {
            ServerState state = states.get(key);
            if (state == null) {
                return;
            }
            state.drain(s.drained());
            // DOWN only where active checks run: they alone can bring it back up
            if (s.down() && checked.getOrDefault(key, false)) {
                state.health().startDown();
            }
        });
    }
}
