package io.ferry.exchange;

/**
 * The lookup, after the FastCGI mapping (a script's request is looked up by its URL, and a HEAD for a
 * script is not fetched as GET): a hit answers, a miss waits for the fetch in flight or becomes it.
 */
final class CacheLookupPhase implements RequestPhase {
    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        CacheLookup cache = ex.cache();
        return cache == null ? Next.CONTINUE : cache.lookUp();
    }
}
