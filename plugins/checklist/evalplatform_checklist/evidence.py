"""Evidence files (证明材料): checked, stored outside the web root, served only to staff.

A file is accepted when its extension is one of the allowed kinds *and* its first bytes
say it is that kind (a program renamed ``.pdf`` is refused), and it is not larger than
``CHECKLIST_EVIDENCE_MAX_BYTES`` (5 MB by default; requests as a whole are limited by
``MAX_CONTENT_LENGTH``). It is stored in the instance folder under ``evidence/`` with a
random name; the original name, size, SHA-256 and content type go to the database.

Files are written before the transaction commits. A :class:`FileBatch` remembers what an
operation wrote and what it replaced, so that the caller removes the new files if the
transaction rolls back and the replaced ones once it has committed.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from flask import current_app

from evalplatform.i18n import gettext as _
from evalplatform.i18n import lazy_gettext
from evalplatform.services import ServiceError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
NAME_MAX = 200
STORED_RE = re.compile(r"^(\d+)/([0-9a-f]{32})(\.[a-z]{3,4})$")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: extension -> (kind, content type)
KINDS = {
    ".pdf": ("pdf", "application/pdf"),
    ".jpg": ("jpeg", "image/jpeg"),
    ".jpeg": ("jpeg", "image/jpeg"),
    ".png": ("png", "image/png"),
    ".docx": ("docx", DOCX),
    ".xlsx": ("xlsx", XLSX),
    ".ofd": ("ofd", "application/ofd"),
}
ALLOWED_TEXT = lazy_gettext("PDF、JPG、PNG、Word（.docx）、Excel（.xlsx）或 OFD")
#: For zip-based formats: a member that only that format has.
ZIP_MARKERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "ofd": "OFD.xml"}


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    name: str
    extension: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def max_bytes() -> int:
    return int(current_app.config.get("CHECKLIST_EVIDENCE_MAX_BYTES") or DEFAULT_MAX_BYTES)


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def clean_name(filename: str) -> str:
    """The file's own name (no folders), without control characters, at most 200 chars."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:NAME_MAX - len(ext) - 1] + dot + ext) if dot and len(ext) <= 5 else \
            name[:NAME_MAX]
    return name


def detect(data: bytes) -> str | None:
    """The kind of file its first bytes (and, for zip containers, its members) show."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        for kind, marker in ZIP_MARKERS.items():
            if marker in names:
                return kind
    return None


def check(upload: Upload) -> CheckedFile:
    """The upload, if it is an allowed kind of file within the size limit; otherwise a
    ServiceError saying what is wrong."""
    name = clean_name(upload.filename)
    extension = PurePosixPath(name.lower()).suffix
    if extension not in KINDS:
        raise ServiceError(_("证明材料只接受 %(kinds)s 文件。", kinds=ALLOWED_TEXT))
    size = len(upload.data)
    if size == 0:
        raise ServiceError(_("文件“%(name)s”是空的。", name=name))
    limit = max_bytes()
    if size > limit:
        raise ServiceError(_("文件“%(name)s”大小为 %(size)s，超过了 %(limit)s 的上限。", name=name,
                             size=size_text(size), limit=size_text(limit)))
    kind, content_type = KINDS[extension]
    if detect(upload.data) != kind:
        raise ServiceError(_("文件“%(name)s”的内容与扩展名 %(extension)s 不符，"
                             "可能已损坏或不是该类型的文件。", name=name, extension=extension))
    return CheckedFile(name, extension, content_type, size,
                       hashlib.sha256(upload.data).hexdigest(), upload.data)


def root() -> Path:
    return Path(current_app.instance_path) / "evidence"


def path_for(stored: str) -> Path | None:
    """Where a stored file lives; None for a name that is not one we generate."""
    if not stored or not STORED_RE.match(stored):
        return None
    return root() / stored


@dataclass
class FileBatch:
    """Files one operation wrote, and stored files it made obsolete."""

    written: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)

    def store(self, checked: CheckedFile, campaign_id: int) -> str:
        """Write the file under a random name; returns the stored name."""
        stored = f"{int(campaign_id)}/{secrets.token_hex(16)}{checked.extension}"
        path = root() / stored
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(".part")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(checked.data)
        temporary.replace(path)
        self.written.append(stored)
        return stored

    def replace(self, holder, checked: CheckedFile, campaign_id: int) -> None:
        """Attach a new evidence file to an entry or rectification item."""
        if holder.evidence_file:
            self.obsolete.append(holder.evidence_file)
        holder.evidence_file = self.store(checked, campaign_id)
        holder.evidence_name = checked.name
        holder.evidence_size = checked.size
        holder.evidence_sha256 = checked.sha256
        holder.evidence_type = checked.content_type

    def committed(self) -> None:
        _remove(self.obsolete)
        self.written, self.obsolete = [], []

    def rolled_back(self) -> None:
        _remove(self.written)
        self.written, self.obsolete = [], []


def _remove(names: list[str]) -> None:
    for stored in names:
        path = path_for(stored)
        if path is not None:
            path.unlink(missing_ok=True)
