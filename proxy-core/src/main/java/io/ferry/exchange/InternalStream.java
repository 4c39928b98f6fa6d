package io.ferry.exchange;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

/**
 * The client side of an exchange Ferry makes for itself (a background refresh, an ESI include): no
 * connection and no protocol of its own — HTTP/1.1, no sendfile, always ready for more (the upstream is
 * read at full speed), no 100-continue, no interim responses, never a tunnel.
 */
abstract class InternalStream implements ClientStream {
    @Override
    public HttpVersion version(HttpRequest request) {
        return HttpVersion.HTTP_1_1;
    }

    @Override
    public boolean takesFileRegions() {
        return false;
    }

    @Override
    public boolean isWritable() {
        return true;
    }

    @Override
    public void continueRequest() {
    }

    @Override
    public void sendInterim(HttpResponse interim) {
        ReferenceCountUtil.release(interim);
    }

    @Override
    public void flush() {
    }

    @Override
    public void sendSwitchingProtocols(HttpResponse response) {
        ReferenceCountUtil.release(response); // never asked for: Ferry's own requests carry no Upgrade
    }

    @Override
    public Channel becomeTunnel(Channel upstream, long idleTimeoutNanos) {
        throw new IllegalStateException("an internal request never becomes a tunnel");
    }

    @Override
    public void inputDemandChanged() {
    }
}
