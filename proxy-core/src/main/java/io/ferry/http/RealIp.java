package io.ferry.http;

import io.ferry.config.Cidr;
import io.ferry.config.RealIpConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.List;

/**
 * Finds the client behind trusted proxies. A request from a trusted address may name the client in a
 * header such as X-Forwarded-For; each proxy appends the address it received from, so the list is read
 * from the right and the first address that is not a trusted proxy is the client (nginx's
 * real_ip_recursive). A request from anywhere else keeps its connection's address: an untrusted hop
 * cannot choose its own.
 */
public final class RealIp {
    private final List<Cidr> trusted;
    private final String header;

    public RealIp(RealIpConfig config) {
        this.trusted = config.from().stream().map(Cidr::parse).toList();
        this.header = config.header();
    }

    /** The client's address: {@code peer} itself unless {@code peer} is trusted and the header names another. */
    public InetAddress client(InetAddress peer, HttpHeaders headers) {
        if (!isTrusted(peer)) {
            return peer;
        }
        List<String> lines = headers.getAll(header);
        InetAddress client = peer;
        for (int l = lines.size() - 1; l >= 0; l--) {
            String line = lines.get(l);
            int end = line.length();
            while (end > 0) {
                int comma = line.lastIndexOf(',', end - 1);
                InetAddress hop = parse(line.substring(comma + 1, end).trim());
                if (hop == null) {
                    return client; // not an address: nothing left of it can be believed
                }
                client = hop;
                if (!isTrusted(hop)) {
                    return hop;
                }
                end = comma < 0 ? 0 : comma;
            }
        }
        return client; // every hop trusted: the farthest one
    }

    private boolean isTrusted(InetAddress address) {
        return Cidr.anyContains(trusted, address);
    }

    /** An IP literal (IPv6 optionally in brackets), never a name to look up; null otherwise. */
    private static InetAddress parse(String text) {
        String s = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        return s.isEmpty() ? null : NetUtil.createInetAddressFromIpAddressString(s);
    }
}
