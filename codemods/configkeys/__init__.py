"""Phase B's machinery: one canonical key for a setting spelled several ways.

``model``   the spec entries (canonical key, legacy keys, file kinds and globs)
``text``    span edits over the original text, definitions and their resolution
``python``  Python through LibCST, plus the expected-AST builder for self-verification
``js``      TypeScript/JavaScript (a small lexer; no parser)
``kinds``   .env files, Dockerfiles, YAML, JSON and Markdown

Every handler reads the decoded text once, decides, and returns exact span
edits over it: bytes outside the edited spans (line endings, BOM, comments,
trailing whitespace, quoting) are never touched, and no document is
reserialised.
"""
