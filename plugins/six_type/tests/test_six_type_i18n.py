"""六型机关 read in English: the scheme's title, its dimensions, charts, notes and settings
are translated (the plugin's own catalogue); items copied into a campaign stay as written."""

from __future__ import annotations

from evalplatform_six_type.bank import BANK

from evalplatform.extensions import db
from evalplatform.scoring.engine import registered_schemes
from evalplatform.scoring.rules import rules_for
from evalplatform.services import campaigns
from evalplatform.testing import (
    build_campaign,
    cast_ballot,
    close,
    english_page,
    pdfcheck,
    post_form,
    untranslated_chinese,
)

UNITS = [("Office", "General"), ("Legal", "General"), ("Permits", "Service")]


def stored(campaign) -> tuple[str, ...]:
    """The campaign's data (never translated): issuer, document number, items and their
    options, grade names; and the item bank the settings offer (copied when chosen)."""
    texts = {campaign.issuer, campaign.doc_number, *(t for items in BANK.values() for t in items)}
    for item in campaign.items:
        texts |= {item.label, *(o["label"] for o in item.options)}
    for spec in rules_for(campaign, registered_schemes())[0]["schemes"].values():
        texts |= {label for label, _ in spec["config"]["grade_bands"]}
    return tuple(t for t in texts if t)


def test_six_type_pages_in_english(english):
    campaign, plaintext = build_campaign(status="draft", unit_rows=UNITS, title="Six-type survey",
                                         groups=(("Public", 1.0),))
    base = f"/evaluator/campaigns/{campaign.id}"
    enabled = post_form(english, f"{base}/schemes", {}, url=f"{base}/schemes/six_type/enable",
                        follow_redirects=True).get_data(as_text=True)
    assert "Scheme enabled" in enabled and "Six-type organ" in enabled
    db.session.refresh(campaign)
    data = stored(campaign)
    assert not untranslated_chinese(enabled, data)
    settings = english_page(english, f"{base}/schemes/six_type")
    for text in ("Third dimension", "Efficiency (Learning, Service, Efficiency, Harmony, "
                 "Innovation, Integrity)", "Learning weight", "Items of Integrity",
                 "Good, fairly good, fair, poor"):
        assert text in settings, text
    assert not untranslated_chinese(settings, data)
    refused = post_form(english, f"{base}/schemes/six_type", {"weight_0": "-1"})
    html = refused.get_data(as_text=True)
    assert "Weights are numbers from 0 to 1000, never negative." in html
    assert not untranslated_chinese(html, data)

    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for code, office in zip(plaintext["Public"], (0, 0, 0, 0, 1), strict=False):
        # Office 好 throughout; Legal 好 on learning only; Permits 较好
        cast_ballot(campaign, code, lambda unit, item, office=office: (
            office if unit == "Office" else 1 if unit == "Permits" else
            0 if item.label.startswith("学习型") else 2))
    close(campaign)
    urls = [f"{base}/results", f"{base}/schemes", f"{base}/schemes/six_type",
            *(f"{base}/results/six_type/units/{u.id}" for u in campaign.units)]
    for url in urls:
        found = untranslated_chinese(english_page(english, url), data)
        assert not found, (url, found)
    results = english_page(english, f"{base}/results")
    for text in ("Six-type organ", "Heat map of scores by dimension", "Learning",
                 "Six-type radar charts of the units", "scores by dimension"):
        assert text in results, text
    legal = next(u for u in campaign.units if u.name == "Legal")
    unit = english_page(english, f"{base}/results/six_type/units/{legal.id}")
    for text in ("Six-type radar chart", "Learning (strongest)", "▲ strongest", "Scores by dimension"):
        assert text in unit, text

    # the unit's report is an official document: Chinese, charts and tables included
    response = english.get(f"{base}/units/{legal.id}/report.pdf")
    report = pdfcheck.flat("".join(pdfcheck.page_texts(response.get_data())))
    response.close()
    for text in ("六型机关", "六型雷达图", "学习型", "最强", "各维度得分"):
        assert text in report, text
    assert not [word for word in ("Six-type organ", "Learning", "strongest", "Scores by")
                if pdfcheck.flat(word) in report]
