"""The browser edge of recon: `recon serve`'s FastAPI app, its Jinja2 templates and static files.

Imported only by `recon serve` (lazily), so no other command pays for FastAPI's import.
"""
