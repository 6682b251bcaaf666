"""``python -m orders_service``: see :mod:`orders_service.cli`."""

import sys

from orders_service.cli import main

sys.exit(main())
