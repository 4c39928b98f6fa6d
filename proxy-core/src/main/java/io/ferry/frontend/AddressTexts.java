package io.ferry.frontend;

import io.netty.util.concurrent.FastThreadLocal;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The text of client addresses, shared by the connections one event loop accepts from the same address
 * (a browser's six, a balancer's hundreds): a small direct-mapped table per loop thread, so an idle
 * connection does not keep a String of its own and the hot path formats no address.
 */
final class AddressTexts {
    private static final int SIZE = 256;
    private static final FastThreadLocal<AddressTexts> LOOP = new FastThreadLocal<>() {
        @Override
        protected AddressTexts initialValue() {
            return new AddressTexts();
        }
    };

    private final InetAddress[] addresses = new InetAddress[SIZE];
    private final String[] texts = new String[SIZE];

    private AddressTexts() {
    }

    /** {@code address.getHostAddress()}, the same String for the same address while it stays in the table. */
    static String of(InetAddress address) {
        return LOOP.get().text(address);
    }

    private String text(InetAddress address) {
        if (address instanceof Inet6Address v6 && (v6.getScopeId() != 0 || v6.getScopedInterface() != null)) {
            return address.getHostAddress(); // equal addresses of other scopes have other texts
        }
        int slot = (address.hashCode() * 0x9E3779B9 >>> 24) & (SIZE - 1);
        if (address.equals(addresses[slot])) {
            return texts[slot];
        }
        String text = address.getHostAddress();
        addresses[slot] = address;
        texts[slot] = text;
        return text;
    }
}
