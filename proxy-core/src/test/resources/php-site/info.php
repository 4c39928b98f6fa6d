<?php
// Reports what PHP received, one KEY=value line each, for the FastCGI tests.
header('Content-Type: text/plain');
$keys = ['REQUEST_METHOD', 'REQUEST_URI', 'QUERY_STRING', 'SCRIPT_NAME', 'SCRIPT_FILENAME', 'PATH_INFO',
    'PATH_TRANSLATED', 'DOCUMENT_ROOT', 'DOCUMENT_URI', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'SERVER_NAME',
    'SERVER_PORT', 'SERVER_ADDR', 'SERVER_PROTOCOL', 'REMOTE_ADDR', 'REMOTE_PORT', 'GATEWAY_INTERFACE',
    'SERVER_SOFTWARE', 'REDIRECT_STATUS', 'HTTPS', 'REQUEST_SCHEME', 'HTTP_AUTHORIZATION', 'PHP_AUTH_USER',
    'PHP_AUTH_PW', 'HTTP_PROXY', 'HTTP_HOST', 'HTTP_X_CUSTOM', 'HTTP_COOKIE', 'HTTP_X_FORWARDED_FOR', 'HTTP_X_REQUEST_ID', 'HTTP_TRACEPARENT', 'APP_ENV'];
foreach ($keys as $k) {
    if (array_key_exists($k, $_SERVER)) {
        echo $k, '=', $_SERVER[$k], "\n";
    }
}
foreach ($_GET as $k => $v) {
    echo 'GET.', $k, '=', $v, "\n";
}
foreach ($_POST as $k => $v) {
    echo 'POST.', $k, '=', $v, "\n";
}
$in = fopen('php://input', 'rb');
$ctx = hash_init('md5');
$len = 0;
while (!feof($in)) {
    $chunk = fread($in, 65536);
    if ($chunk === false || $chunk === '') {
        break;
    }
    $len += strlen($chunk);
    hash_update($ctx, $chunk);
}
echo 'BODY_LENGTH=', $len, "\n";
echo 'BODY_MD5=', hash_final($ctx), "\n";
