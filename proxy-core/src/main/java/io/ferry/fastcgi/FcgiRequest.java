package io.ferry.fastcgi;

import io.netty.handler.codec.http.HttpMethod;
import java.util.List;
import java.util.Map;

/**
 * The head of a request to a FastCGI application: the CGI parameters. Written to an upstream channel
 * in place of an HttpRequest; the body follows as HttpContent, which the codec turns into STDIN.
 */
public record FcgiRequest(HttpMethod method, List<Map.Entry<String, String>> params) {
}
