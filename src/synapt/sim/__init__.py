"""synapt.sim."""
