"""Tests of the public contract database and the Atlas import."""
