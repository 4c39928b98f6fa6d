package io.ferry.fastcgi;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CGI/1.1 meta-variables (RFC 3875 §4.1) plus what php-fpm expects, for one request. Every request
 * header becomes an HTTP_* variable — HTTP_AUTHORIZATION included, so PHP_AUTH_USER, PHP_AUTH_PW and
 * bearer tokens work without rewrite rules — except Proxy, which is never passed (httpoxy,
 * CVE-2016-5385).
 */
public final class CgiParams {
    private CgiParams() {
    }

    /**
     * Where the request came in: the facts CGI variables report about the connection.
     *
     * @param clientVerify on a listener that asks for client certificates: Apache's SSL_CLIENT_VERIFY
     *                     (SUCCESS or NONE); null elsewhere
     * @param clientSubject the verified client certificate's subject (RFC 2253), or null
     */
    public record Connection(InetSocketAddress local, InetSocketAddress remote, boolean tls, String clientVerify,
                             String clientSubject) {
    }

    public static List<Map.Entry<String, String>> build(FastCgiSite site, FastCgiSite.Script script, HttpRequest req,
                                                        String requestUri, String protocol, Connection conn) {
        Map<String, String> p = new LinkedHashMap<>();
        String root = site.root().toString();
        HttpHeaders h = req.headers();
        p.put("GATEWAY_INTERFACE", "CGI/1.1");
        p.put("SERVER_SOFTWARE", "ferry");
        p.put("SERVER_PROTOCOL", protocol);
        p.put("REQUEST_METHOD", req.method().name());
        p.put("REQUEST_URI", requestUri);
        p.put("QUERY_STRING", script.query());
        p.put("SCRIPT_NAME", script.scriptName());
        p.put("SCRIPT_FILENAME", root + script.scriptName());
        p.put("DOCUMENT_ROOT", root);
        p.put("DOCUMENT_URI", script.scriptName() + script.pathInfo());
        if (!script.pathInfo().isEmpty()) {
            p.put("PATH_INFO", script.pathInfo());
            p.put("PATH_TRANSLATED", root + script.pathInfo());
        }
        String contentType = h.get(HttpHeaderNames.CONTENT_TYPE);
        String contentLength = h.get(HttpHeaderNames.CONTENT_LENGTH);
        p.put("CONTENT_TYPE", contentType == null ? "" : contentType);
        p.put("CONTENT_LENGTH", contentLength == null ? "" : contentLength);
        String host = h.get(HttpHeaderNames.HOST);
        p.put("SERVER_NAME", serverName(host, conn.local()));
        p.put("SERVER_ADDR", conn.local().getAddress().getHostAddress());
        p.put("SERVER_PORT", Integer.toString(conn.local().getPort()));
        p.put("REMOTE_ADDR", conn.remote().getAddress().getHostAddress());
        p.put("REMOTE_PORT", Integer.toString(conn.remote().getPort()));
        p.put("REQUEST_SCHEME", conn.tls() ? "https" : "http");
        if (conn.tls()) {
            p.put("HTTPS", "on");
        }
        if (conn.clientVerify() != null) {
            p.put("SSL_CLIENT_VERIFY", conn.clientVerify());
            if (conn.clientSubject() != null) {
                p.put("SSL_CLIENT_S_DN", conn.clientSubject());
            }
        }
        p.put("REDIRECT_STATUS", "200"); // php-cgi's cgi.force_redirect check
        Iterator<Map.Entry<String, String>> it = h.iteratorAsString();
        while (it.hasNext()) {
            Map.Entry<String, String> e = it.next();
            String name = e.getKey();
            if (name.equalsIgnoreCase("content-type") || name.equalsIgnoreCase("content-length")
                    || name.equalsIgnoreCase("proxy")) {
                continue;
            }
            String var = "HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
            String joiner = var.equals("HTTP_COOKIE") ? "; " : ", ";
            p.merge(var, e.getValue(), (a, b) -> a + joiner + b);
        }
        p.putAll(site.config().params());
        List<Map.Entry<String, String>> list = new ArrayList<>(p.size());
        for (Map.Entry<String, String> e : p.entrySet()) {
            list.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
        }
        return list;
    }

    private static String serverName(String host, InetSocketAddress local) {
        if (host == null || host.isEmpty()) {
            return local.getAddress().getHostAddress();
        }
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close > 0 ? host.substring(0, close + 1) : host;
        }
        int colon = host.lastIndexOf(':');
        return colon > 0 ? host.substring(0, colon) : host;
    }
}
