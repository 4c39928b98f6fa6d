<?php
// A front controller, as Drupal's and WordPress's index.php.
header('Content-Type: text/plain');
echo 'front controller: uri=', $_SERVER['REQUEST_URI'], ' query=', $_SERVER['QUERY_STRING'],
    ' script=', $_SERVER['SCRIPT_NAME'], "\n";
