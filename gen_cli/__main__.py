"""Allow ``python -m gen_cli``."""

from gen_cli.cli import main

raise SystemExit(main())
