"""Ransomware risk reduction: families, identification ("what hit us?"), decryptors."""
