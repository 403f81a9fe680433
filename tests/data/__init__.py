"""Tests of synapt.data (a package, so basenames like test_cli.py do not clash with other stages)."""
