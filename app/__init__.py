"""Ponctuel: get French small businesses paid on time."""
