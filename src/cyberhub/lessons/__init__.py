"""The lessons library: what the community learned from dialogues, operations and incidents."""
