<?php
header('Location: /landing?from=redirect');
