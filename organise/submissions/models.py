"""The record of a submission, kept so that the same token and content show the same outcome.

A row holds no time, no campaign and nothing readable: the token's keyed hash (its id), the
keyed fingerprint of the content, the encrypted outcome and the mark of the day key it was made
under (crypto/submissions.py). It is deleted when the worker confirms they have written the
receipt down, when the same token comes with other content on a web form, and with its day key,
48 hours after that key's day began.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Submission(Model):
    """One submission's record: what a reload with the same token and content shows again."""

    lookup = fields.CharField(max_length=64, primary_key=True)
    fingerprint = fields.CharField(max_length=64)
    outcome = fields.BinaryField()
    day_mark = fields.CharField(max_length=64)

    class Meta:
        table = "submission"
