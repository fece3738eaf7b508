"""The anonymous public site."""
