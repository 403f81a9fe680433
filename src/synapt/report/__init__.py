"""synapt.report."""
