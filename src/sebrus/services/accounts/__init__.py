"""Users, sessions, passwords, sign-up, roles and custodial wallets."""
