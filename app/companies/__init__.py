"""Companies (legal units keyed by SIREN) and the debtors creditors chase."""
