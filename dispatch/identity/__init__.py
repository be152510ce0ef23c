"""Users, roles, passwords, tokens and the authorization mechanism."""
