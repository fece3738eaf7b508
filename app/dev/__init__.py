"""Development-only pages and the `make run` supervisor; never mounted in production."""
