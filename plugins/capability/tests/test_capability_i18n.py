"""The capability model read in English: the scheme's title, presets, groups, dimensions,
charts, notes and settings are translated (the plugin's own catalogue); items copied into a
campaign stay as written."""

from __future__ import annotations

from html import unescape

from evalplatform.extensions import db
from evalplatform.scoring.engine import registered_schemes
from evalplatform.scoring.rules import rules_for
from evalplatform.services import campaigns
from evalplatform.testing import (
    build_campaign,
    cast_ballot,
    close,
    english_page,
    post_form,
    untranslated_chinese,
)

UNITS = [("Office", "General"), ("Legal", "General"), ("Permits", "Service")]
GOOD, FAIR, SO_SO, POOR = 0, 1, 2, 3  # 好, 较好, 一般, 差
ABILITIES = ("服务发展", "依法行政", "改革创新", "执行落实", "沟通协调")


def stored(campaign) -> tuple[str, ...]:
    """The campaign's data (never translated): issuer, document number, items and their
    options, grade names."""
    texts = {campaign.issuer, campaign.doc_number}
    for item in campaign.items:
        texts |= {item.label, *(o["label"] for o in item.options)}
    for spec in rules_for(campaign, registered_schemes())[0]["schemes"].values():
        texts |= {label for label, _ in spec["config"]["grade_bands"]}
    return tuple(t for t in texts if t)


def choose(unit: str, item) -> int:
    """Office: 好 on the capabilities, 较好 on the styles of work but 差 on 刻苦钻研."""
    if item.scheme != "capability" or unit != "Office":
        return SO_SO if item.scheme == "capability" else 0
    if item.label.startswith("刻苦钻研"):
        return POOR
    return GOOD if item.label.startswith(ABILITIES) else FAIR


def test_capability_pages_in_english(english):
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS, title="Capability survey",
                                         groups=(("Public", 1.0),))
    base = f"/evaluator/campaigns/{campaign.id}"
    post_form(english, f"{base}/schemes", {}, url=f"{base}/schemes/capability/enable")
    db.session.refresh(campaign)
    data = stored(campaign)
    schemes = english_page(english, f"{base}/schemes")
    assert "Capabilities and styles of work" in schemes
    assert not untranslated_chinese(schemes, data)
    settings = english_page(english, f"{base}/schemes/capability")
    for text in ("Five capabilities + five styles of work", "Weight of “Five capabilities”",
                 "Five capabilities: Serving growth, Rule of law, Reform, Delivery, Coordination; "
                 "Five styles of work: Diligence", "Group weights"):
        assert text in settings, text
    assert not untranslated_chinese(settings, data)
    refused = post_form(english, f"{base}/schemes/capability",
                        {"preset": "five_five", "shown_preset": "five_five", "scale": "good4",
                         "family_weight_0": "0", "family_weight_1": "0", "score_0": "100",
                         "score_1": "80", "score_2": "60", "score_3": "0",
                         "grade_bands": "优秀 90\n较差 0", "bottom_mode": "category",
                         "bottom_n": "1", "tie_decimals": "2"})
    html = refused.get_data(as_text=True)
    assert "The group weights cannot all be 0." in html
    assert not untranslated_chinese(html, data)

    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for code in plaintext["Public"]:
        cast_ballot(campaign, code, choose)
    close(campaign)
    urls = [f"{base}/results", f"{base}/schemes/capability",
            *(f"{base}/results/capability/units/{u.id}" for u in campaign.units)]
    for url in urls:
        found = untranslated_chinese(english_page(english, url), data)
        assert not found, (url, found)
    results = unescape(english_page(english, f"{base}/results"))
    for text in ("Capabilities and styles of work", "Each unit's strongest and weakest dimensions",
                 "Strongest dimension", "Diligence", "Dimension scores of the units",
                 "the overall score weights the groups' scores (Five capabilities 50%, "
                 "Five styles of work 50%)"):
        assert text in results, text
    office = next(u for u in campaign.units if u.name == "Office")
    unit = english_page(english, f"{base}/results/capability/units/{office.id}")
    for text in ("[Five styles of work]", "Diligence (weakest)", "Bar chart of scores by dimension",
                 "▼ weakest"):
        assert text in unit, text
