package io.ferry.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigMemorySize;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One object of the config file, read key by key. It remembers which keys were read so that
 * {@link #rejectUnknownKeys()} can name a misspelt key instead of silently ignoring it, and it turns
 * typesafe-config's exceptions into {@link ConfigError}s that carry the full key path.
 */
final class Section {
    private final Config config;
    private final String path;
    private final Set<String> known = new LinkedHashSet<>();

    Section(Config config, String path) {
        this.config = config;
        this.path = path;
    }

    static Section of(ConfigObject object, String path) {
        return new Section(object.toConfig(), path);
    }

    String path() {
        return path;
    }

    String keyPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    ConfigError error(String key, String problem) {
        return new ConfigError(keyPath(key), problem + origin(key));
    }

    boolean has(String key) {
        known.add(firstSegment(key));
        return config.hasPath(key);
    }

    /** A regular expression, compiled; a bad one is a config error naming the key. */
    java.util.regex.Pattern regex(String key, String defaultValue) {
        String text = string(key, defaultValue);
        try {
            return java.util.regex.Pattern.compile(text);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw error(key, "not a valid regular expression: " + e.getDescription());
        }
    }

    String string(String key, String defaultValue) {
        if (!has(key)) {
            return defaultValue;
        }
        try {
            return config.getString(key);
        } catch (ConfigException.WrongType e) {
            throw error(key, "expected a string, got " + typeOf(key));
        }
    }

    String requiredString(String key) {
        String value = string(key, null);
        if (value == null || value.isBlank()) {
            throw new ConfigError(keyPath(key), "is required" + (path.isEmpty() ? "" : " in " + path));
        }
        return value;
    }

    boolean bool(String key, boolean defaultValue) {
        if (!has(key)) {
            return defaultValue;
        }
        try {
            return config.getBoolean(key);
        } catch (ConfigException.WrongType e) {
            throw error(key, "expected true or false, got " + describe(key));
        }
    }

    int integer(String key, int defaultValue, int min, int max) {
        if (!has(key)) {
            return defaultValue;
        }
        int value;
        try {
            value = config.getInt(key);
        } catch (ConfigException.WrongType e) {
            throw error(key, "expected a whole number, got " + describe(key));
        }
        if (value < min || value > max) {
            throw error(key, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    Duration duration(String key, Duration defaultValue) {
        Duration value = durationOrZero(key, defaultValue);
        if (value.isZero() && has(key)) { // a zero default is the caller's to give
            throw error(key, "must be a positive duration, got " + describe(key));
        }
        return value;
    }

    /** A duration that may be zero (grace = 0s turns grace off), never negative. */
    Duration durationOrZero(String key, Duration defaultValue) {
        if (!has(key)) {
            return defaultValue;
        }
        Duration value;
        try {
            value = config.getDuration(key);
        } catch (ConfigException.BadValue | ConfigException.WrongType e) {
            throw error(key, "expected a duration such as 500ms, 5s or 2m, got " + describe(key));
        }
        if (value.isNegative()) {
            throw error(key, "must not be negative, got " + describe(key));
        }
        return value;
    }

    long bytes(String key, long defaultValue, long min, long max) {
        if (!has(key)) {
            return defaultValue;
        }
        long value;
        try {
            ConfigMemorySize size = config.getMemorySize(key);
            value = size.toBytes();
        } catch (ConfigException.BadValue | ConfigException.WrongType | IllegalArgumentException e) {
            throw error(key, "expected a size such as 8k, 64KiB or 1m, got " + describe(key));
        }
        if (value < min || value > max) {
            throw error(key, "must be between " + min + " and " + max + " bytes, got " + value);
        }
        return value;
    }

    Section section(String key) {
        if (!has(key)) {
            return new Section(ConfigFactory.empty(), keyPath(key));
        }
        try {
            return new Section(config.getConfig(key), keyPath(key));
        } catch (ConfigException.WrongType e) {
            throw error(key, "expected an object { ... }, got " + typeOf(key));
        }
    }

    /** Elements of a list; each is either a string or an object, as the caller decides. */
    List<ConfigValue> list(String key) {
        if (!has(key)) {
            return List.of();
        }
        try {
            ConfigList list = config.getList(key);
            return new ArrayList<>(list);
        } catch (ConfigException.WrongType e) {
            throw error(key, "expected a list [ ... ], got " + typeOf(key));
        }
    }

    List<String> stringList(String key, List<String> defaultValue) {
        if (!has(key)) {
            return defaultValue;
        }
        if (config.getValue(key).valueType() != ConfigValueType.LIST
                && config.getValue(key).valueType() != ConfigValueType.OBJECT) {
            return List.of(config.getString(key)); // one value: a string, or a number such as a status code
        }
        try {
            return config.getStringList(key);
        } catch (ConfigException.WrongType e) {
            throw error(key, "expected a string or a list of strings, got " + typeOf(key));
        }
    }

    /** One of an enum's constants, written in lower case in the file (http1, h2c, v2, optional...). */
    <E extends Enum<E>> E choice(String key, E defaultValue) {
        String text = string(key, defaultValue.name().toLowerCase(java.util.Locale.ROOT));
        List<String> names = new ArrayList<>();
        for (E e : defaultValue.getDeclaringClass().getEnumConstants()) {
            String name = e.name().toLowerCase(java.util.Locale.ROOT);
            if (name.equals(text)) {
                return e;
            }
            names.add(name);
        }
        String last = names.remove(names.size() - 1);
        throw error(key, "must be " + String.join(", ", names) + " or " + last + "; got \"" + text + '"');
    }

    /** A file that must be readable, relative to {@code baseDir} (the config's directory); null when not set. */
    java.nio.file.Path readableFile(String key, java.nio.file.Path baseDir) {
        String value = string(key, null);
        if (value == null || value.isBlank()) {
            return null;
        }
        java.nio.file.Path path = baseDir == null ? java.nio.file.Path.of(value) : baseDir.resolve(value);
        if (!java.nio.file.Files.isReadable(path)) {
            throw error(key, "cannot read file " + path);
        }
        return path;
    }

    /** A list of networks in CIDR form (127.0.0.0/8, ::1/128, or one address), each checked. */
    List<String> networks(String key, List<String> defaultValue) {
        List<String> nets = stringList(key, defaultValue);
        for (String cidr : nets) {
            if (!Cidr.valid(cidr)) {
                throw error(key, "expected networks such as 127.0.0.0/8 or ::1/128; got \"" + cidr + '"');
            }
        }
        return List.copyOf(nets);
    }

    /** True when {@code key} holds an object { ... }. */
    boolean isObject(String key) {
        return has(key) && config.getValue(key).valueType() == ConfigValueType.OBJECT;
    }

    Set<String> keys() {
        return config.root().keySet();
    }

    /** Fails on the first key that nothing read: almost always a typo or a misplaced key. */
    void rejectUnknownKeys() {
        for (String key : config.root().keySet()) {
            if (!known.contains(key)) {
                throw new ConfigError(keyPath(quoteIfNeeded(key)), "unknown key" + origin(quoteIfNeeded(key))
                        + (known.isEmpty() ? "" : "; known keys here: " + String.join(", ", known)));
            }
        }
    }

    private static String quoteIfNeeded(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : '"' + key + '"';
    }

    private static String firstSegment(String key) {
        int dot = key.indexOf('.');
        return dot < 0 ? key : key.substring(0, dot);
    }

    private String typeOf(String key) {
        return config.getValue(key).valueType().name().toLowerCase();
    }

    private String describe(String key) {
        ConfigValue value = config.getValue(key);
        Object raw = value.unwrapped();
        return value.valueType() == ConfigValueType.STRING ? '"' + raw.toString() + '"' : String.valueOf(raw);
    }

    private String origin(String key) {
        try {
            if (!config.hasPath(key)) {
                return "";
            }
            var origin = config.getValue(key).origin();
            if (origin.filename() != null && origin.lineNumber() > 0) {
                return " (" + origin.filename() + " line " + origin.lineNumber() + ")";
            }
        } catch (ConfigException e) {
            // no origin to report
        }
        return "";
    }
}
