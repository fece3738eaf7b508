"""Messages to the outside world: email over SMTP (and, later, SMS)."""
