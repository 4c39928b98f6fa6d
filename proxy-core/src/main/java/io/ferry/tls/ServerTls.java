package io.ferry.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.util.List;

/**
 * A TLS listener's server side: one context per certificate (or per group of certificates answering the
 * same names, such as an RSA and an ECDSA one), chosen by the client's SNI, with a default for clients
 * that send none or name no certificate here.
 */
public final class ServerTls {
    private final List<SslContext> contexts;
    private final Mapping<String, SslContext> bySni;

    /**
     * @param contexts the first is the default
     * @param bySni    null when there is one context: no SNI lookup at all
     */
    ServerTls(List<SslContext> contexts, Mapping<String, SslContext> bySni) {
        this.contexts = List.copyOf(contexts);
        this.bySni = bySni;
    }

    /** The first handler of a new connection: TLS itself, or the SNI lookup that puts TLS in its place. */
    public ChannelHandler newHandler(ByteBufAllocator alloc) {
        return bySni == null ? contexts.get(0).newHandler(alloc) : new SniHandler(bySni);
    }

    /** Every context, for settings applied to all of them (session ticket keys). */
    public List<SslContext> contexts() {
        return contexts;
    }
}
