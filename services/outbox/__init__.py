"""The alert outbox, in parts with one job each:

- records.py — the typed records: an alert as stored, who it goes to, what a send came to;
- store.py — the table: write an alert in the caller's transaction, claim due alerts, record outcomes;
- policy.py — the partner's say: muted kinds, quiet hours, the low-stock threshold.

The sender (bot/outbox_sender.py) drains the store within Telegram's limits and the rendering (bot/alert_texts.py)
turns alerts into messages in the partner's language; services/notifications.py says which facts become alerts.
"""
