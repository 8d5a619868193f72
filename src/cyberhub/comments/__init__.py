"""Comments on any commentable record; a comment is visible exactly to those who may see
the record it is on (it carries no marking of its own)."""
