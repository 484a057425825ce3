"""The keystore shared by several app hosts: PostgreSQL, entries wrapped per epoch.

- ``keks``: each epoch's key-encryption key, read from files the secret manager places on tmpfs.
- ``shared``: the PostgreSQL backend of ``crypto.keystore.Keystore``, rotation and host reports.
- ``opening``: which backend a deployment uses (the file keystore stays the default).
- ``cli``: `organise keystore status|rotate|migrate`.
- ``attention``: an overdue rotation, on the organiser home of admins.
"""
