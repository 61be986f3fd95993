"""The dialog: text → intent, by the offline grammar first and the LLM second."""
