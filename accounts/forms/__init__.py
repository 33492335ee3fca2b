"""accounts' forms: `sign_in`, `centre_users` (invites, Manage access), `profile`."""
