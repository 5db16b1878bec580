"""The benchmark behind `make bench` (`python -m benchmarks`); see benchmarks/cli.py."""
