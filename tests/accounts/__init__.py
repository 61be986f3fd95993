"""Tests of accounts: token refresh across processes."""
