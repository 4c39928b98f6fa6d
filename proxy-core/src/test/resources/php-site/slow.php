<?php
sleep(isset($_GET['s']) ? (int) $_GET['s'] : 3);
echo "slept\n";
