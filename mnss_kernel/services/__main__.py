"""Entry point: `python -m mnss_kernel.services serve|probe|list ...` (see cli.py)."""

import sys

from .cli import main

sys.exit(main())
