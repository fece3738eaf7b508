"""Pages of platform administration (platform administrators with 2FA only)."""
