"""Threshold pledge campaigns: create, invite, sign, withdraw, reveal, expire.

See docs/campaigns.md. Modules by job: `models` (tables), `policy` (choices, rounding, the
revealed set), `setup` (creating campaigns), `invites`, `signing`, `receipts` (status and
withdrawal), `gatekeeping` (gatekeeper shares), `reveal`, `lifecycle` (time-based transitions),
`ticker` (the in-server loop), `csv_export`, and the web/CLI layers `views`, `organiser_views`,
`api`, `routes`, `cli`.
"""
