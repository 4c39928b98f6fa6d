package io.ferry.esi;

import java.util.List;

/**
 * A page's ESI markup, parsed once: the bytes to send as they are (offsets into the body the template
 * was parsed from, so a cached page keeps one copy of its bytes) and the includes between them, in
 * order. Removed markup ({@code <esi:remove>}, {@code <esi:comment>}, the {@code <!--esi -->} wrapper)
 * is simply not in it.
 */
public record EsiTemplate(List<Segment> segments, int includes) {
    /** One piece of the page, in order. */
    public sealed interface Segment permits Literal, Include {
    }

    /** Bytes {@code [offset, offset + length)} of the parsed body, relative to its reader index. */
    public record Literal(int offset, int length) implements Segment {
    }

    /**
     * {@code <esi:include src="…" alt="…" onerror="continue"/>}: the fragment at {@code src} (entities
     * decoded), {@code alt} tried when it fails (or null), and whether a failure leaves an empty string
     * ({@code onerror="continue"}) rather than failing the page.
     */
    public record Include(String src, String alt, boolean continueOnError) implements Segment {
    }

    /** Whether the page has anything to assemble (else it is sent as its bytes, minus what was removed). */
    public boolean hasIncludes() {
        return includes > 0;
    }
}
