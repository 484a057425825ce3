"""The public contract database: employers, contract records, the taxonomy, Atlas import."""
