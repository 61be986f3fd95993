"""Tests for the buttons and the status LED, on gpiozero's mock pins."""
