"""Dialogues: structured discussions between members, under the Chatham House Rule when
the convenor asks for it. Who said what is written through :mod:`.attribution` only."""
