"""synapt.train."""
