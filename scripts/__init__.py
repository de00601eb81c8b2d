"""Developer scripts (setup, develop, translations)."""
