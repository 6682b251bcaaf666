"""``python -m customer_service``: see :mod:`customer_service.cli`."""

import sys

from customer_service.cli import main

sys.exit(main())
