"""Anonymous contract reports, anonymous follow-up, review and publication."""
