"""Accounts: pairing (OAuth with PKCE), the encrypted token store and refreshing tokens."""
