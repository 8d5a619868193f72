"""Meetings of the community: agenda, minutes, decisions, action items and reminders."""
