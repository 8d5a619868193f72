"""Joint operations: participants, targets, tasks, a timeline and the after-action review."""
