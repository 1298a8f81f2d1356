"""How an update travels: inbox (stored before it is acknowledged), worker (one short
transaction per update, in per-user order), outbox and sender (the one way out to Telegram)."""
