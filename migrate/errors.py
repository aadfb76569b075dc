"""The one exception family that crosses into the CLI.

Every error a user can cause (bad spec, unknown phase, dirty tree, drift,
lock held, ...) is a :class:`MigrateError`.  The CLI catches only this type,
prints one clear line and exits with ``exit_code``; anything else is a bug and
surfaces as a traceback (or as exit 123 with ``--debug`` off).
"""

from __future__ import annotations


class MigrateError(Exception):
    """A problem the user can fix; rendered as one line, no traceback."""

    exit_code = 2

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def render(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {d}" for d in self.details)


class SpecError(MigrateError):
    """The spec is missing, malformed or names things that do not exist."""


class UsageError(MigrateError):
    """A command-line argument is wrong (unknown phase, missing path)."""


class DirtyTreeError(MigrateError):
    """The git tree has uncommitted changes and ``--allow-dirty`` was not given."""


class LockHeldError(MigrateError):
    """Another ssot-migrate run holds the repository lock."""


class LedgerError(MigrateError):
    """The ledger or a journal is inconsistent with the request or with reality."""


class PhaseStateError(MigrateError):
    """A phase cannot run in the ledger's current state (needs, already applied)."""


class DriftError(MigrateError):
    """Files changed between plan and apply, or after apply, in a way we must not overwrite."""

    exit_code = 1


class GateFailed(MigrateError):
    """The verification gate failed; the phase was rolled back."""

    exit_code = 1


class UnsafePathError(MigrateError):
    """A write or delete would go through a symlink, hit a read-only file or a non-file."""
