"""ssot-migrate: phased, reversible consolidation of many implementations into one.

The public surface: the verbs in :mod:`migrate.commands` (``plan``, ``apply``,
``rollback``, ``status``), the spec loader, the :class:`~migrate.phase.Phase`
extension point and the result types.  The CLI (:mod:`migrate.cli`) only
adapts these.
"""

__version__ = "0.1.0"
