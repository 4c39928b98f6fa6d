package io.ferry.config;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A map from a file (HAProxy's {@code map}, nginx's {@code map} with an {@code include}): one entry per
 * line, the key, blanks, the value; {@code #} starts a comment and a trailing {@code ;} is dropped, so
 * both programs' files load as they are. Read once into a hash table when the config is loaded (and on
 * every reload); a lookup is one hash probe whatever the size. {@code key} is what is looked up for a
 * request, a template such as {@code $uri} or {@code $host}.
 */
public record MapTable(String name, Path file, Template key, Map<String, String> entries, String defaultValue) {

    /** Reads {@code file}; an error names the line. */
    static Map<String, String> read(Path file) throws IOException {
        Map<String, String> entries = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                int hash = line.indexOf('#');
                String text = (hash >= 0 ? line.substring(0, hash) : line).strip();
                if (text.endsWith(";")) {
                    text = text.substring(0, text.length() - 1).strip();
                }
                if (text.isEmpty()) {
                    continue;
                }
                int blank = 0;
                while (blank < text.length() && !Character.isWhitespace(text.charAt(blank))) {
                    blank++;
                }
                if (blank == text.length()) {
                    throw new IOException("line " + number + ": a key without a value: \"" + text + '"');
                }
                String key = text.substring(0, blank);
                String value = text.substring(blank).strip();
                entries.putIfAbsent(key, value); // the first line for a key wins, as in HAProxy
            }
        }
        return entries;
    }

    /** The value for {@code key}, or the default (null when none is set). */
    public String lookup(String key) {
        String v = entries.get(key);
        return v != null ? v : defaultValue;
    }
}
