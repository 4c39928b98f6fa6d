<?php
setcookie('first', '1');
setcookie('second', '2', ['path' => '/app']);
setcookie('SESSabc', 'xyz', ['httponly' => true]);
echo "cookies set\n";
