package io.ferry.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** How many files this process may open (the JVM raises the soft limit to the hard one at start). */
public final class OpenFiles {
    private OpenFiles() {
    }

    public static long limit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: assume enough
        }
        return Long.MAX_VALUE;
    }
}
