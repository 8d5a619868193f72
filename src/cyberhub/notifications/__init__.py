"""Notifications: who hears of what happened (the event bus listener), the in-app inbox,
watches, per-user channel settings, e-mail (immediate or a daily digest) and signed
webhooks. Delivery is gated by ``access``: nobody is told of a record they cannot see."""
