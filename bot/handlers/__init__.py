"""Handlers are leaves: each reads what it needs from the update and calls one flow.

They import no other handler; bot/routes.py maps commands, buttons and message kinds
to them, and the worker runs them inside the update's transaction.
"""
