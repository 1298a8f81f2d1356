"""Flows decide: one short transaction per update (or timer, or reminder run) that changes
state and records what to say as effects. They never talk to Telegram themselves."""
