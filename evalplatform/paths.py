"""Where the application's files are: the project's root, its templates, static files and
migrations (beside the package, as docs/design.md lays the project out)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
MIGRATIONS = ROOT / "migrations"
