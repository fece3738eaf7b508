"""The payer score: outcomes, points, weights, bands."""
