"""Tokens: the signup grant, packs and the debit per processed invoice."""
