"""Generated documents, kept with their SHA-256: a bulletin that was circulated can be
checked later against the copy the platform made (``flask report verify FILE``, or the
check on the reports page)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, Document
from ..scoring.results import CampaignResults
from . import audit

PDF = "application/pdf"
ZIP = "application/zip"
EXTENSIONS = {PDF: "pdf", ZIP: "zip"}


@dataclass(frozen=True)
class Made:
    """A file made by a report job or command, not yet stored."""

    kind: str
    data: bytes
    filename: str
    media_type: str = PDF
    pages: int | None = None
    unit_id: int | None = None


def folder() -> Path:
    return Path(current_app.instance_path) / "documents"


def store(campaign: Campaign, kind: str, data: bytes, filename: str, media_type: str, *,
          results: CampaignResults, user=None, pages: int | None = None,
          unit_id: int | None = None, audited: bool = True) -> Document:
    """Write the file (atomically, named by its hash) and record it. The caller commits."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{campaign.id}/{digest}.{EXTENSIONS[media_type]}"
    path = folder() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)
    document = Document(campaign_id=campaign.id, kind=kind, unit_id=unit_id, filename=filename,
                        media_type=media_type, sha256=digest, size=len(data), pages=pages,
                        path=relative, rules_sha256=results.rules_sha256,
                        ballots=results.ballots, draft=campaign.status != "closed",
                        created_by_id=getattr(user, "id", None))
    db.session.add(document)
    db.session.flush()
    if audited:
        audit(user, f"document.{kind}", f"campaign:{campaign.id}", document=document.id,
              sha256=digest, unit=unit_id)
    return document


def store_all(campaign: Campaign, results: CampaignResults, made: list[Made], user=None
              ) -> list[Document]:
    """Store several made files (the first is the one the user asked for)."""
    return [store(campaign, m.kind, m.data, m.filename, m.media_type, results=results,
                  user=user, pages=m.pages, unit_id=m.unit_id, audited=n == 0)
            for n, m in enumerate(made)]


def path_of(document: Document) -> Path | None:
    """The stored file, or None if it is gone from disk."""
    path = folder() / document.path
    return path if path.is_file() else None


def documents(campaign: Campaign, limit: int = 50) -> list[Document]:
    """The campaign's documents, newest first (one unit's reports left out: the ZIP of
    all of them, and each unit's own download, are listed instead)."""
    return list(db.session.scalars(
        select(Document).where(Document.campaign_id == campaign.id,
                               Document.kind != "unit_report")
        .order_by(Document.id.desc()).limit(limit)))


def find(data: bytes) -> list[Document]:
    """Documents whose content is exactly these bytes (the same file)."""
    digest = hashlib.sha256(data).hexdigest()
    return list(db.session.scalars(select(Document).where(Document.sha256 == digest)
                                   .order_by(Document.id)))


def delete_files(campaign_id: int) -> None:
    """Remove a deleted campaign's files."""
    shutil.rmtree(folder() / str(campaign_id), ignore_errors=True)
