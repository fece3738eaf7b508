"""Benchmarks that compare Ponctuel's pages with a bare Litestar baseline in the same run."""
