"""Users, creditor organisations, memberships, sessions, password/OIDC/TOTP login."""
