"""Platform administration: SIREN claims review and the `python -m app.admin` command."""
