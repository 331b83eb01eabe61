"""``python -m qec ...`` is the ``qec`` command (for machines where the package is on PYTHONPATH but not installed)."""

import sys

from qec._command._main import main

sys.exit(main())
