"""`python -m benchmarks`: run the benchmark (see benchmarks/cli.py)."""

from benchmarks.cli import main

raise SystemExit(main())
