"""``python -m cpa``: the command-line interface (same as the ``cpa`` command)."""

from .cli import main

raise SystemExit(main())
