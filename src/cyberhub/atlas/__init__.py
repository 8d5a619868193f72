"""The threat map: the ecosystem graph of what members know, and analyses over it."""
