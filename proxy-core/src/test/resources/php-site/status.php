<?php
http_response_code(418);
header('X-Script: status');
echo "short and stout\n";
