<?php
// Streams ?mb= mebibytes (default 50) as it produces them.
header('Content-Type: application/octet-stream');
$mb = isset($_GET['mb']) ? (int) $_GET['mb'] : 50;
$chunk = str_repeat('0123456789abcdef', 65536);
for ($i = 0; $i < $mb; $i++) {
    echo $chunk;
    flush();
}
