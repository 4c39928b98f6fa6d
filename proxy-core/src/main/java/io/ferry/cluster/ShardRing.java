package io.ferry.cluster;

import io.ferry.balance.KeyHash;
import io.ferry.upstream.ServerPool;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which member of the fleet owns a cache key (Varnish's shard director): a consistent ring of the members,
 * each at {@code vnodes} points, a key owned by the first member clockwise from its hash that is up. Every
 * instance builds the same ring, since members are named by their addresses ("ip:port") on all of them;
 * a member that goes down has its keys spread over the others and gets them back when it returns.
 */
public final class ShardRing {
    private static final int VNODES = 128;

    /** By index: null for this instance, else the peer's server. */
    private final ServerPool[] members;
    private final long[] points;
    private final int[] owners;

    private ShardRing(ServerPool[] members, long[] points, int[] owners) {
        this.members = members;
        this.points = points;
        this.owners = owners;
    }

    /** The ring of this instance ({@code self}) and its peers' servers (one at {@code self}'s address is this one). */
    public static ShardRing of(InetSocketAddress self, List<ServerPool> peers) {
        List<ServerPool> others = new ArrayList<>();
        List<String> names = new ArrayList<>();
        names.add(memberName(self));
        for (ServerPool p : peers) {
            if (p.remoteAddress() instanceof InetSocketAddress a && !memberName(a).equals(names.get(0)) && !names.contains(memberName(a))) {
                others.add(p);
                names.add(memberName(a));
            }
        }
        ServerPool[] members = new ServerPool[others.size() + 1];
        for (int i = 0; i < others.size(); i++) {
            members[i + 1] = others.get(i);
        }
        long[][] entries = new long[names.size() * VNODES][];
        int k = 0;
        for (int m = 0; m < names.size(); m++) {
            for (int v = 0; v < VNODES; v++) {
                entries[k++] = new long[] {KeyHash.hash(names.get(m) + "#" + v), m};
            }
        }
        Arrays.sort(entries, (a, b) -> Long.compare(a[0], b[0]));
        long[] points = new long[entries.length];
        int[] owners = new int[entries.length];
        for (int i = 0; i < entries.length; i++) {
            points[i] = entries[i][0];
            owners[i] = (int) entries[i][1];
        }
        return new ShardRing(members, points, owners);
    }

    /** A member as every instance names it: "ip:port". */
    public static String memberName(InetSocketAddress a) {
        return (a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress()) + ":" + a.getPort();
    }

    /** The peer that owns {@code key}, or null when this instance does (or no peer that would is up). */
    public ServerPool owner(CharSequence key) {
        int i = Arrays.binarySearch(points, KeyHash.hash(key));
        if (i < 0) {
            i = -i - 1;
        }
        for (int step = 0; step < points.length; step++) {
            int m = owners[(i + step) % points.length];
            ServerPool p = members[m];
            if (p == null) {
                return null;
            }
            if (p.isUp() && !p.isDrained()) {
                return p;
            }
        }
        return null;
    }

    /** Members including this one. */
    public int size() {
        return members.length;
    }
}
