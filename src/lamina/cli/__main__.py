"""``python -m lamina.cli``: the ``lamina`` command without the installed script."""

import sys

from . import main

sys.exit(main())
