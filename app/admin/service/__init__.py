"""Use cases of platform administration."""
