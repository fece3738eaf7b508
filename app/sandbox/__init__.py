"""Local stand-ins for outside systems, for tests and `make run`; never mounted in production."""
