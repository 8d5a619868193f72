"""Organisations, users, roles, groups, sign-in sessions and API tokens."""
