"""Worker entry point: ``faust -A app.main worker``.

Declares the app from ``OLF_*`` environment variables (see app.settings).
"""

from app.factory import create_olf
from app.settings import Settings

olf = create_olf(Settings.from_env())
app = olf.app
