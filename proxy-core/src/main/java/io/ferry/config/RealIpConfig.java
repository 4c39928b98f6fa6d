package io.ferry.config;

import java.util.List;

/**
 * The client address behind trusted proxies (nginx's real_ip_recursive): when a connection comes from
 * one of {@code from}, the client is the nearest address in {@code header} that is not itself in
 * {@code from}.
 *
 * @param from   networks of the proxies and load balancers trusted to report the client
 * @param header the field they report it in, X-Forwarded-For by default
 */
public record RealIpConfig(List<String> from, String header) {
}
