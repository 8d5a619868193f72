"""Pointer-only deconfliction: keyed digests of registered values, never the values."""
