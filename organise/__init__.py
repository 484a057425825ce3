"""Organise: a privacy-first tool for tech workers organising against their employers'
contracts with police, immigration enforcement, prisons and the military."""

__version__ = "0.1.0"
