"""Backups and restores of a whole hub: ``cyberhub backup`` and ``cyberhub restore``."""
