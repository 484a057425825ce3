"""One-time submission tokens: a reload or Back never loses a receipt, nothing is filed twice.

`models` holds the one table, `once` the records (day keys, look-ups, recording inside the
work's own transaction, forgetting, housekeeping) and `tokens` the web side: the token in a
form's address and the JSON API's `Idempotency-Key` header. docs/crypto.md ("Submission
records") describes the keys.
"""
