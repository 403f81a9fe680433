"""synapt.data."""
