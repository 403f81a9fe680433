"""synapt.bench."""
