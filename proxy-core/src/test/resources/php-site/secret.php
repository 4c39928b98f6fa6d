<?php
// SOURCE-MARKER: this line must never reach a client.
echo "secret-ok\n";
