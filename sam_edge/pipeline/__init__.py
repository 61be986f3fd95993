"""The turn pipeline: one runner for voice, upload, chat and button turns."""
