"""Organising surveys: sealed answers, counted once at the release with small-cell suppression."""
