package io.ferry.http1;

import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.PlatformDependent;

/**
 * What a thread keeps for handing heads' fields to HTTP/2 (RFC 9113 §8.2.1: names lower-cased): the usual few
 * dozen lower-cased names, and per name the last value it handed on, since a backend repeats most of its values
 * from one answer to the next (Server, Content-Type, Accept-Ranges, the Date of this second). Two entries a
 * hash (adjacent, the last used first), so two names that share their low hash bits (ETag and Via do at 256
 * entries) do not evict each other on every response. Nothing longer than {@link #MAX_KEPT} bytes is kept,
 * and a kept value is a copy of its own, so an entry never holds a whole head alive.
 */
final class LowerCaseFieldCache {
    private static final int ENTRIES = 512;
    static final int MAX_KEPT = 64;
    private static final FastThreadLocal<LowerCaseFieldCache> BY_THREAD = new FastThreadLocal<>() {
        @Override
        protected LowerCaseFieldCache initialValue() {
            return new LowerCaseFieldCache();
        }
    };

    private final AsciiString[] names = new AsciiString[ENTRIES];
    private final AsciiString[] values = new AsciiString[ENTRIES];

    private LowerCaseFieldCache() {
    }

    static LowerCaseFieldCache get() {
        return BY_THREAD.get();
    }

    /**
     * The entry of the name {@code raw[start, end)} (of case-insensitive hash {@code hash}), made and put first if
     * neither of its two has it; -1 for a name too long to keep.
     */
    int nameEntry(byte[] raw, int start, int end, int hash) {
        if (end - start > MAX_KEPT) {
            return -1;
        }
        int entry = hash & (ENTRIES - 2);
        if (holds(names[entry], raw, start, end, hash)) {
            return entry;
        }
        if (holds(names[entry + 1], raw, start, end, hash)) {
            return entry + 1;
        }
        putFirst(entry, lowerCased(raw, start, end));
        return entry;
    }

    AsciiString name(int entry) {
        return names[entry];
    }

    /**
     * The value {@code raw[start, start + length)} of the name at {@code entry}: the entry's last value if equal,
     * else a copy kept there (a view of the head when too long to keep, or for a name not kept, entry -1).
     */
    AsciiString value(int entry, byte[] raw, int start, int length) {
        if (entry < 0 || length > MAX_KEPT) {
            return new AsciiString(raw, start, length, false);
        }
        AsciiString last = values[entry];
        if (last != null && last.length() == length
                && PlatformDependent.equals(last.array(), last.arrayOffset(), raw, start, length)) {
            return last;
        }
        return values[entry] = new AsciiString(raw, start, length, true);
    }

    /** {@code name} lower-cased: an AsciiString by its own means (constants are lower case already), others kept. */
    AsciiString lowerCase(CharSequence name) {
        if (name instanceof AsciiString ascii) {
            return ascii.toLowerCase();
        }
        if (name.length() > MAX_KEPT) {
            return AsciiString.of(name).toLowerCase();
        }
        int hash = HeaderBlock.nameHash(name); // the hash a block keeps for its fields, which share these entries
        int entry = hash & (ENTRIES - 2);
        for (int k = entry; k < entry + 2; k++) {
            AsciiString lower = names[k];
            if (lower != null && lower.hashCode() == hash && AsciiString.contentEqualsIgnoreCase(lower, name)) {
                return lower;
            }
        }
        AsciiString lower = AsciiString.of(name).toLowerCase();
        putFirst(entry, lower);
        return lower;
    }

    /** A new name in the first of its two entries, the one there moved (with its value) to the second. */
    private void putFirst(int entry, AsciiString name) {
        names[entry + 1] = names[entry];
        values[entry + 1] = values[entry];
        names[entry] = name;
        values[entry] = null;
    }

    private static boolean holds(AsciiString cached, byte[] raw, int start, int end, int hash) {
        if (cached == null || cached.hashCode() != hash || cached.length() != end - start) {
            return false;
        }
        byte[] lower = cached.array();
        int offset = cached.arrayOffset();
        for (int k = start; k < end; k++) {
            if ((lower[offset + k - start] & 0xFF) != HeaderBlock.lower(raw[k])) {
                return false;
            }
        }
        return true;
    }

    static AsciiString lowerCased(byte[] raw, int start, int end) {
        byte[] lower = new byte[end - start];
        for (int k = 0; k < lower.length; k++) {
            lower[k] = (byte) HeaderBlock.lower(raw[start + k]);
        }
        return new AsciiString(lower, false);
    }
}
