"""Insights: published articles that come out of dialogues and analysis."""
