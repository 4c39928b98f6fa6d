package io.ferry.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this test JVM may lower a thread's nice value below 0, as the priority tests ask for. */
final class NicePermission {
    private NicePermission() {
    }

    /** CAP_SYS_NICE (bit 23) among the effective capabilities (root has it, unless a container took it away), or a
     * nice limit that reaches {@code nice}. */
    static boolean mayLowerTo(int nice) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max nice priority")) {
                String soft = line.substring("Max nice priority".length()).trim().split("\\s+")[0];
                if (soft.equals("unlimited") || Long.parseLong(soft) >= 20 - nice) {
                    return true;
                }
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:") && (Long.parseUnsignedLong(line.split("\\s+")[1], 16) & (1L << 23)) != 0) {
                return true;
            }
        }
        return false;
    }
}
