"""Threshold pledge campaigns: create, invite, sign, withdraw, reveal, expire.

See docs/campaigns.md. Modules by job: `models` (tables), `policy` (choices, rounding, the
revealed set), `setup` (creating campaigns), `invites`, `signing`, `receipts` (status and
withdrawal), `gatekeeping` (gatekeepers hand in shares), `gateshares` (the shares held, the key
rebuilt), `reveal` (with `opening`: envelopes opened in worker processes, and `sorting`:
sealed sorted runs), `lifecycle` (time-based transitions), `ticker` (the in-server loop),
`csv_export`, `fields` (the forms' rules), and the web/CLI layers `pages`, `organiser_pages`,
`api`, `routes`, `cli`.
"""
