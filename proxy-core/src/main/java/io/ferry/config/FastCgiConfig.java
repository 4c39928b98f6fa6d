package io.ferry.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a FastCGI backend maps requests to files (nginx's root, index, try_files and
 * fastcgi_split_path_info rolled into one).
 *
 * @param documentRoot      absolute, real path of the document root
 * @param index             file tried in a directory (index.php)
 * @param tryFiles          entries tried in order: {@code $uri}, {@code $uri/}, and last a fallback
 *                          URI such as {@code /index.php?$args} or {@code =404}
 * @param scriptPattern     paths that run through the application; every other existing file is
 *                          served by Ferry as a static file
 * @param params            extra CGI parameters sent with every request
 * @param symlinksOutsideRoot allow serving or running files whose real path leaves the root
 * @param maxBufferedBody   a chunked request body is read whole before the script runs (CGI needs
 *                          CONTENT_LENGTH up front), in memory, up to this many bytes (else 413)
 * @param expires           lifetimes of static files by path, first match wins (nginx {@code expires})
 */
public record FastCgiConfig(
        Path documentRoot,
        String index,
        List<String> tryFiles,
        Pattern scriptPattern,
        Map<String, String> params,
        boolean symlinksOutsideRoot,
        long maxBufferedBody,
        List<ExpiresRule> expires) {

    /** The rule for a static file's request path, or null (ETag and Last-Modified only). */
    public ExpiresRule expiresFor(String path) {
        for (ExpiresRule r : expires) {
            if (r.path().matcher(path).find()) {
                return r;
            }
        }
        return null;
    }
}
