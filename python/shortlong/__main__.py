"""``python -m shortlong``: see `shortlong.cli`."""

from .cli import main

raise SystemExit(main())
