package io.ferry.exchange;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * With {@code rules.error-pages.intercept-backend} (nginx: proxy_intercept_errors / fastcgi_intercept_errors),
 * a backend's error whose status has a page is answered with the page instead: the backend's body is
 * read and dropped (its connection stays reusable), then Ferry's page goes out with the same status.
 */
final class ErrorPagePhase implements ResponsePhase {
    @Override
    public Next onHead(Exchange ex, HttpResponse response) {
        var rules = ex.runtime.config.rules();
        if (!rules.interceptBackendErrors() || response.status().code() < 400
                || !rules.errorPages().containsKey(response.status().code())) {
            return Next.CONTINUE;
        }
        ex.ctx.interceptedStatus = response.status().code();
        return Next.ANSWERED;
    }

    @Override
    public void onTakenResponseEnd(Exchange ex) {
        new LocalResponder(HttpResponseStatus.valueOf(ex.ctx.interceptedStatus), false).respond(ex);
    }
}
