"""Tests of anonymous reports, follow-up, review and publication."""
