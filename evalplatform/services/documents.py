"""Generated documents, kept with their SHA-256: a bulletin that was circulated can be
checked later against the copy the platform made (``flask report verify FILE``, or the
check on the reports page)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, Document, ReportSettings
from ..scoring.results import CampaignResults
from ..scoring.rules import canonical as canonical_json
from ..util import local_today
from . import audit

#: The software's version, part of a document's inputs (a new version lays out anew).
try:
    VERSION = version("evalplatform")
except PackageNotFoundError:  # a source tree, not installed
    VERSION = "0"

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


def inputs_of(campaign: Campaign, results: CampaignResults) -> str:
    """The SHA-256 of what the campaign's documents show besides their kind and unit: the
    results (all but when they were computed), the campaign's and the letterhead's texts,
    the data schemes read besides ballots (checklist reviews, the ledger), the day (a
    unit's report is dated) and the software's version."""
    from ..scoring.engine import registered_schemes

    settings = db.session.get(ReportSettings, campaign.id)
    schemes = registered_schemes()
    data = {
        "results": {k: v for k, v in results.to_json().items() if k != "computed_at"},
        "campaign": [campaign.status, campaign.title, campaign.issuer, campaign.doc_number,
                     campaign.comments_enabled, str(campaign.period_start),
                     str(campaign.period_end), str(campaign.closed_at)],
        "letterhead": None if settings is None else {
            column.name: str(getattr(settings, column.name))
            for column in ReportSettings.__table__.columns},
        "data": [repr(schemes[key].data_version(campaign, spec["config"]))
                 for key, spec in (campaign.rules or {}).get("schemes", {}).items()
                 if key in schemes],
        "day": local_today().isoformat(),
        "version": VERSION,
    }
    return hashlib.sha256(canonical_json(data)).hexdigest()


def document_inputs(base: str, kind: str, unit_id: int | None) -> str:
    return hashlib.sha256(f"{base}:{kind}:{unit_id}".encode()).hexdigest()


def reusable(campaign: Campaign, inputs: str) -> tuple[Document, bytes] | None:
    """A document already made from these very inputs, and its bytes (None if there is
    none, or its file is gone)."""
    found = db.session.scalar(select(Document).where(
        Document.campaign_id == campaign.id, Document.inputs_sha256 == inputs)
        .order_by(Document.id.desc()).limit(1))
    path = path_of(found) if found is not None else None
    return (found, path.read_bytes()) if path is not None else None


def store(campaign: Campaign, kind: str, data: bytes, filename: str, media_type: str, *,
          results: CampaignResults, user=None, pages: int | None = None,
          unit_id: int | None = None, audited: bool = True,
          inputs: str | None = None) -> Document:
    """Write the file (atomically, named by its hash) and record it — unless one made from
    the same ``inputs`` is kept already, which is returned instead (so that asking again
    stores nothing). The caller commits."""
    if inputs is not None and (found := reusable(campaign, inputs)) is not None:
        return found[0]
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
                        inputs_sha256=inputs, created_by_id=getattr(user, "id", None))
    db.session.add(document)
    db.session.flush()
    if audited:
        audit(user, f"document.{kind}", f"campaign:{campaign.id}", document=document.id,
              sha256=digest, unit=unit_id)
    return document


def store_all(campaign: Campaign, results: CampaignResults, made: list[Made], user=None
              ) -> list[Document]:
    """Store several made files (the first is the one the user asked for); one made from
    the same inputs as a kept one is not stored again."""
    base = inputs_of(campaign, results)
    return [store(campaign, m.kind, m.data, m.filename, m.media_type, results=results,
                  user=user, pages=m.pages, unit_id=m.unit_id, audited=n == 0,
                  inputs=document_inputs(base, m.kind, m.unit_id))
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
