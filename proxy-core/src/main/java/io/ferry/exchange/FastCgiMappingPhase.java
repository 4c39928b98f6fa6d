package io.ferry.exchange;

import io.ferry.fastcgi.FastCgiSite;

/**
 * For a FastCGI backend, the path is mapped onto the document root ({@link ScriptMapping}): a script goes
 * on with its CGI parameters (after its chunked body is read whole), a static file or a refusal answers.
 */
final class FastCgiMappingPhase implements RequestPhase {
    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        FastCgiSite site = ctx.backend.fastCgiSite();
        if (site == null) {
            return Next.CONTINUE;
        }
        return ex.mapFastCgi(new ScriptMapping(ex, site));
    }
}
