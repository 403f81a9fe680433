"""synapt.data.formats."""
