package io.ferry.fastcgi;

import io.ferry.config.HealthCheckConfig;
import io.ferry.health.HealthChecker;
import io.netty.channel.Channel;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;

/**
 * The active check of a FastCGI backend: runs {@code health-check.path} (a script under the document
 * root, such as /health.php, or php-fpm's own ping.path) through a FastCGI request and reads the
 * status it answers, as the proxy would.
 */
public final class FastCgiHealthCheck implements HealthChecker.Protocol {
    private final FastCgiSite site;

    public FastCgiHealthCheck(FastCgiSite site) {
        this.site = site;
    }

    @Override
    public Object install(Channel ch, HealthCheckConfig config, HealthChecker.Target target) {
        ch.pipeline().addFirst(new FcgiRecordDecoder(), new FastCgiClientCodec(target.name(), 8192, false));
        String path = config.path();
        int q = path.indexOf('?');
        String script = q < 0 ? path : path.substring(0, q);
        String query = q < 0 ? "" : path.substring(q + 1);
        List<Map.Entry<String, String>> params = List.of(
                entry("GATEWAY_INTERFACE", "CGI/1.1"),
                entry("SERVER_SOFTWARE", "ferry"),
                entry("SERVER_PROTOCOL", "HTTP/1.1"),
                entry("REQUEST_METHOD", config.method()),
                entry("REQUEST_URI", path),
                entry("SCRIPT_NAME", script),
                entry("SCRIPT_FILENAME", site.root() + script),
                entry("DOCUMENT_ROOT", site.root().toString()),
                entry("QUERY_STRING", query),
                entry("CONTENT_LENGTH", ""),
                entry("REDIRECT_STATUS", "200"),
                entry("HTTP_HOST", config.host() != null ? config.host() : "localhost"),
                entry("HTTP_USER_AGENT", "ferry-health-check"));
        return new FcgiRequest(io.netty.handler.codec.http.HttpMethod.valueOf(config.method()), params);
    }

    private static Map.Entry<String, String> entry(String k, String v) {
        return new AbstractMap.SimpleImmutableEntry<>(k, v);
    }
}
