"""Account use cases, one module per topic."""
