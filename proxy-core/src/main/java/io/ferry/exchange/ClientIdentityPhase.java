package io.ferry.exchange;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Who the client is: the address real-ip finds behind trusted proxies, and the subject of a verified
 * client certificate — which only Ferry may state upstream, so a client's own copy of the field goes.
 */
final class ClientIdentityPhase implements RequestPhase {
    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        ProxyRuntime runtime = ex.runtime;
        if (runtime.realIp != null) {
            InetSocketAddress peer = ex.client.remoteAddress();
            InetAddress real = runtime.realIp.client(peer.getAddress(), ctx.request.headers());
            if (!real.equals(peer.getAddress())) {
                ctx.realClient = new InetSocketAddress(real, peer.getPort());
                ex.record.remoteAddr(real.getHostAddress());
            }
        }
        if (runtime.clientCertificates) {
            ctx.request.headers().remove(ClientCertificates.SUBJECT_FIELD);
            if (ex.client.tls() && ex.listener().verifiesClients()) {
                ctx.clientSubject = ClientCertificates.subject(ex.client.tlsSession());
                if (ctx.clientSubject != null) {
                    ctx.request.headers().set(ClientCertificates.SUBJECT_FIELD, ctx.clientSubject);
                }
            }
        }
        return Next.CONTINUE;
    }
}
