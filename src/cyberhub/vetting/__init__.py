"""Community vetting: other organisations confirm or dispute an object, with a reason."""
