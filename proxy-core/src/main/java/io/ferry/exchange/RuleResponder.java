package io.ferry.exchange;

import io.ferry.rules.Outcome;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * A request rule's answer: deny or a limit reached (Ferry's error page for the status; Retry-After for a
 * limit), redirect (Location), or a fixed response.
 */
final class RuleResponder implements Responder {
    private final Outcome outcome;

    RuleResponder(Outcome outcome) {
        this.outcome = outcome;
    }

    @Override
    public void respond(Exchange ex) {
        HttpResponseStatus status = HttpResponseStatus.valueOf(outcome.status());
        FullHttpResponse res;
        if (outcome.kind() == Outcome.Kind.RETURN) {
            byte[] body = outcome.body();
            ByteBuf content = ex.client.alloc().buffer(body.length).writeBytes(body);
            res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, outcome.contentType());
            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        } else {
            res = ErrorResponses.create(ex.client.alloc(), status, false, ex.runtime.config.rules().errorPages());
            if (outcome.kind() == Outcome.Kind.REDIRECT) {
                res.headers().set(HttpHeaderNames.LOCATION, outcome.location());
            } else if (outcome.kind() == Outcome.Kind.AUTH) {
                res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE,
                        "Basic realm=\"" + outcome.location() + "\", charset=\"UTF-8\"");
            }
        }
        if (outcome.retryAfterSeconds() > 0) {
            res.headers().set(HttpHeaderNames.RETRY_AFTER, outcome.retryAfterSeconds());
        }
        ex.record.bytesSent = res.content().readableBytes();
        ex.sendFull(res, false);
    }
}
