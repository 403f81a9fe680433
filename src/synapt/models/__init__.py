"""synapt.models."""
