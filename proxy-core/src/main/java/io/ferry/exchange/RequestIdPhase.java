package io.ferry.exchange;

import io.ferry.config.RulesConfig;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request IDs ({@code rules.request-id}): the client's X-Request-ID when trusted and well formed, else a
 * new one (32 hex digits, as nginx's $request_id); sent to the backend (PHP sees HTTP_X_REQUEST_ID),
 * written to the access log as $request_id and echoed in the response.
 */
final class RequestIdPhase implements RequestPhase {
    private static final int MAX_CLIENT_ID = 200;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        RulesConfig.RequestId config = ex.runtime.requestId;
        if (!config.enabled()) {
            return Next.CONTINUE;
        }
        String id = config.trustClient() ? wellFormed(ctx.request.headers().get(config.header())) : null;
        if (id == null) {
            id = newId();
        }
        ctx.requestId = id;
        ex.record.requestId = id;
        ctx.request.headers().set(config.header(), id);
        return Next.CONTINUE;
    }

    /** A client's ID is kept if short and of visible ASCII without quotes or spaces: it goes into logs. */
    static String wellFormed(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_CLIENT_ID) {
            return null;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\') {
                return null;
            }
        }
        return id;
    }

    static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long a = random.nextLong();
        long b = random.nextLong();
        char[] out = new char[32];
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xf];
            out[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xf];
        }
        return new String(out);
    }
}
