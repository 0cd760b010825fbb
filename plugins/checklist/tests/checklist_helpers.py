"""Shared helpers of the checklist plugin's tests: campaigns using the scheme, reviews
posted through the page as a browser would, small real files."""

from __future__ import annotations

import io
import struct
import zlib

from evalplatform_checklist import reviews
from evalplatform_checklist.forms import field_id
from evalplatform_checklist.models import ChecklistEntry, RectificationItem

from evalplatform.extensions import db
from evalplatform.services import campaigns, codes
from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
from evalplatform.testing import build_campaign, csrf_token

UNITS = [("办公室", "综合管理类"), ("政策法规科", "综合管理类"),
         ("质量监督站", "执法监管类"), ("审批窗口", "服务窗口类")]
#: 四个是否: four items, at most 5 points each.
FOUR = {"lists": ["sige_shifou"]}


def checklist_campaign(config: dict | None = None, *, status: str = "draft",
                       title: str = "2026年度机关作风对照检查", codes_per_group: int = 5):
    """A campaign with the satisfaction survey and the checklist scheme; (campaign, codes)."""
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS, title=title,
                                         codes_per_group=codes_per_group)
    campaigns.enable_scheme(campaign, "checklist", None, FOUR if config is None else config)
    if status in ("open", "closed"):
        campaigns.open_campaign(campaign, None)
    if status == "closed":
        campaigns.close_campaign(campaign, None)
    db.session.commit()
    return campaign, plaintext


def items(campaign) -> list[tuple[dict, dict]]:
    """(checklist, item) of the campaign's configuration, in order."""
    return [(lst, item) for lst in reviews.campaign_config(campaign)["lists"]
            for item in lst["items"]]


def review_url(campaign, unit) -> str:
    return f"/checklist/campaigns/{campaign.id}/reviews/{unit.id}"


def post_review(client, campaign, unit, findings: dict[int, tuple], files: dict | None = None):
    """Open the unit's review page and post findings {item index: (result, deduction,
    note)}, with files {item index: (bytes, filename)}, as the browser would."""
    page = client.get(review_url(campaign, unit))
    assert page.status_code == 200, page.status_code
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    listed = items(campaign)
    for index, (result, deduction, note) in findings.items():
        fid = field_id(listed[index][1]["key"])
        data[f"r_{fid}"] = result
        data[f"d_{fid}"] = deduction
        data[f"n_{fid}"] = note
    for index, (content, filename) in (files or {}).items():
        data[f"f_{field_id(listed[index][1]['key'])}"] = (io.BytesIO(content), filename)
    return client.post(review_url(campaign, unit), data=data, content_type="multipart/form-data")


def entries(campaign) -> list[ChecklistEntry]:
    db.session.expire_all()
    return list(db.session.query(ChecklistEntry).filter_by(campaign_id=campaign.id)
                .order_by(ChecklistEntry.id))


def problems(campaign) -> list[RectificationItem]:
    db.session.expire_all()
    return list(db.session.query(RectificationItem).filter_by(campaign_id=campaign.id)
                .order_by(RectificationItem.id))


def vote(campaign, code: str, pick) -> None:
    """Submit a ballot; ``pick(unit_name)`` is the option index for every item."""
    q = questionnaire(campaign)
    submit_ballot(codes.hash_code(code), q,
                  BallotInput(answers={(u.id, i.id): pick(u.name) for u in q.units for i in q.items}))
    db.session.commit()


def png_bytes() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def pdf_bytes() -> bytes:
    """A real one-page PDF."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()
