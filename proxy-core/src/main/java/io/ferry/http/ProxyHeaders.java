package io.ferry.http;

import io.ferry.config.BackendConfig;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;

/** The PROXY protocol header (HAProxy's spec, v1 text or v2 binary) that names a client to a server. */
public final class ProxyHeaders {
    private ProxyHeaders() {
    }

    /**
     * The header for a connection made on behalf of {@code client}, who reached Ferry at {@code ferry}.
     * Both addresses must be of one family; a mix is sent as IPv6 with the IPv4 one mapped.
     */
    public static HAProxyMessage naming(BackendConfig.SendProxy version, InetSocketAddress client, InetSocketAddress ferry) {
        boolean v4 = client.getAddress() instanceof Inet4Address && ferry.getAddress() instanceof Inet4Address;
        return new HAProxyMessage(version == BackendConfig.SendProxy.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY, v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                text(client, v4), text(ferry, v4), client.getPort(), ferry.getPort());
    }

    /**
     * A header that names no client, for a connection of Ferry's own (a health check, a background
     * refresh): v2 LOCAL, or v1 UNKNOWN (as bytes: Netty's encoder writes v1 only with addresses); the
     * server then takes the connection's own addresses.
     */
    public static Object unnamed(BackendConfig.SendProxy version) {
        return version == BackendConfig.SendProxy.V1
                ? Unpooled.copiedBuffer("PROXY UNKNOWN\r\n", StandardCharsets.US_ASCII)
                : new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN,
                        null, null, 0, 0);
    }

    private static String text(InetSocketAddress a, boolean v4) {
        String ip = a.getAddress().getHostAddress();
        return v4 || !(a.getAddress() instanceof Inet4Address) ? ip : "::ffff:" + ip;
    }
}
