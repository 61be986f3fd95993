"""Turning intents into music actions on the active platform."""
