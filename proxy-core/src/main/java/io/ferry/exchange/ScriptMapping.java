package io.ferry.exchange;

import io.ferry.fastcgi.CgiParams;
import io.ferry.fastcgi.FastCgiSite;
import io.ferry.fastcgi.FcgiRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A FastCGI request's mapping onto the document root ({@link FastCgiMappingPhase}). A script
 * gets its CGI parameters (the head sent in place of the HTTP request); an existing non-script file is
 * answered by Ferry ({@link StaticFileResponder}); anything else is refused. A chunked body for a
 * script is read whole first, as nginx does: CGI gives the script CONTENT_LENGTH before the body.
 */
final class ScriptMapping {
    private final Exchange ex;
    private final FastCgiSite site;
    private FastCgiSite.Script script;

    ScriptMapping(Exchange ex, FastCgiSite site) {
        this.ex = ex;
        this.site = site;
    }

    /** CONTINUE with a CGI head; WAIT while the body is read whole first; ANSWERED for a file or a refusal. */
    Next prepare() {
        String uri = ex.ctx.uri;
        int q = uri.indexOf('?');
        FastCgiSite.Resolution resolution = site.resolve(q < 0 ? uri : uri.substring(0, q), q < 0 ? "" : uri.substring(q + 1));
        if (resolution instanceof FastCgiSite.Script s) {
            if (ex.ctx.request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
                script = s;
                ex.bufferBody();
                return Next.WAIT;
            }
            ex.ctx.fcgiHead = cgiRequest(s);
            return Next.CONTINUE;
        }
        if (resolution instanceof FastCgiSite.StaticFile file) {
            ex.respondWith(new StaticFileResponder(file.file(), site.config().expiresFor(ex.ctx.normalPath)));
        } else if (resolution instanceof FastCgiSite.Refused refused) {
            ex.giveUp(HttpResponseStatus.valueOf(refused.status()), refused.reason());
        }
        return Next.ANSWERED;
    }

    /** Whether a body being read whole still fits in fastcgi.max-buffered-body. */
    boolean fits(long bodyBytes) {
        return bodyBytes <= site.config().maxBufferedBody();
    }

    /** The body read whole is complete: the script gets its length. */
    void bodyComplete(long bodyBytes) {
        HttpHeaders h = ex.ctx.request.headers();
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        h.set(HttpHeaderNames.CONTENT_LENGTH, bodyBytes);
        ex.ctx.fcgiHead = cgiRequest(script);
    }

    private FcgiRequest cgiRequest(FastCgiSite.Script s) {
        CgiParams.Connection conn = new CgiParams.Connection(ex.client.localAddress(), ex.clientAddress(),
                ex.client.tls(), ex.clientVerify(), ex.ctx.clientSubject);
        return new FcgiRequest(ex.ctx.method, CgiParams.build(site, s, ex.ctx.request, ex.ctx.uri, ex.record.protocol(), conn));
    }
}
