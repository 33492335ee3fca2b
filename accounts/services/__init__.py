"""accounts' writes, one module a subdomain: `invites` (inviting, resending, accepting),
`centre_users` (Manage access, removing a member), `mfa` (authenticators and recovery
codes), `profile` (a person's own details, password and authenticator) and `sessions`
(ending a person's sessions everywhere)."""
