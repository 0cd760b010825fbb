"""Traps that could spoil a campaign or a published ranking: QR slips pointing at this
machine, a checklist combined with a scheme that is not enabled, and a checklist ranking
(with a 末位) from a handful of reviews."""

from __future__ import annotations

import pytest
from evalplatform_checklist import evidence, reviews
from sqlalchemy import func, select

from evalplatform.errors import ServiceError
from evalplatform.extensions import db
from evalplatform.models import AccessCode, CampaignScheme
from evalplatform.reports.bulletin import bulletin_html
from evalplatform.reports.pdf import render_pdf
from evalplatform.scoring.engine import campaign_results, registered_schemes
from evalplatform.services import campaigns
from evalplatform.testing import build_campaign, close, post_form
from evalplatform.testing.pdfcheck import flat, page_texts


def issued() -> int:
    return db.session.scalar(select(func.count()).select_from(AccessCode))


@pytest.mark.parametrize("base", [None, "http://127.0.0.1:5000", "http://[::1]:8000/",
                                  "http://localhost:5000"])
def test_slips_pointing_at_this_machine_are_issued_only_when_the_admin_says_so(
        app, admin_client, monkeypatch, base):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", base)  # None: the page's own host
    campaign, _ = build_campaign(status="draft", codes_per_group=1)
    group = campaign.groups[0].id
    db.session.commit()
    url = f"/admin/campaigns/{campaign.id}/codes"
    page = admin_client.get(url).get_data(as_text=True)
    assert "评议人的手机打不开本机地址" in page and "GUNICORN_BIND=0.0.0.0:5000" in page
    before = issued()
    refused = post_form(admin_client, url, {"rater_group": group, "count": "3", "slips": "y"})
    assert refused.status_code == 200 and "评议人的手机打不开" in refused.get_data(as_text=True)
    assert issued() == before
    taken = post_form(admin_client, url, {"rater_group": group, "count": "3", "slips": "y",
                                          "local_ok": "y"})
    assert taken.mimetype == "application/zip" and issued() == before + 3


def test_a_public_address_gets_no_warning(admin_client):
    campaign, _ = build_campaign(status="draft", codes_per_group=1)
    db.session.commit()
    page = admin_client.get(f"/admin/campaigns/{campaign.id}/codes").get_data(as_text=True)
    assert "手机打不开" not in page and "https://pingyi.example.gov.cn/s/" in page


def test_a_checklist_combined_with_a_scheme_not_enabled_is_refused(app, evaluator_client):
    campaign, _ = build_campaign(status="draft")
    campaigns.enable_scheme(campaign, "checklist", None)
    db.session.commit()
    with pytest.raises(ServiceError, match="本评议活动没有启用“六型机关”"):
        campaigns.configure_scheme(campaign, "checklist", {"combine_with": "six_type"}, None)
    db.session.rollback()
    url = f"/evaluator/campaigns/{campaign.id}/schemes/checklist"
    scheme = registered_schemes()["checklist"]
    stored = scheme.normalize_config(campaign.schemes[-1].config)
    data = {name: ("y" if value is True else value) for name, value in
            scheme.form_data(stored, []).items() if value is not False}
    refused = post_form(evaluator_client, url, {**data, "combine_with": "six_type"})
    assert "本评议活动没有启用“六型机关”，不能与它合成" in refused.get_data(as_text=True)
    config = db.session.scalar(select(CampaignScheme.config).where(
        CampaignScheme.campaign_id == campaign.id, CampaignScheme.scheme == "checklist"))
    assert config["combine_with"] is None  # "配置已保存" was never said

    # combined with satisfaction, which may then not be disabled under it
    campaigns.configure_scheme(campaign, "checklist", {"combine_with": "satisfaction"}, None)
    with pytest.raises(ServiceError, match="的配置要用到"):
        campaigns.disable_scheme(campaign, "satisfaction", None)


def review(campaign, unit, finding: str = "符合") -> None:
    config = reviews.campaign_config(campaign)
    lst = config["lists"][0]
    reviews.record_reviews(campaign, unit, [
        reviews.ReviewInput(lst["key"], item["key"], finding, "3" if finding == "不符合" else "",
                            "窗口态度生硬" if finding == "不符合" else "")
        for item in lst["items"]], None, evidence.FileBatch())


def checklist_campaign(reviewed: int):
    campaign, _ = build_campaign(status="draft")
    campaigns.enable_scheme(campaign, "checklist", None, {"lists": ["sige_shifou"]})
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    for k, unit in enumerate(campaign.units[:reviewed]):
        review(campaign, unit, "不符合" if k == 0 else "符合")
    db.session.commit()
    return campaign


def test_a_checklist_of_few_reviews_ranks_and_flags_nobody_and_says_its_coverage(app):
    campaign = checklist_campaign(reviewed=2)  # of 4 units: 50% < 80%
    result = campaign_results(campaign, use_cache=False).schemes["checklist"]
    assert [u.rank for u in result.units] == [None, None]
    assert not any("bottom" in u.flags for u in result.units)
    assert "对照检查完成 2/4 个单位，未达到排名所需的 80%：暂不排名，不认定末位。" in map(
        str, result.notes)
    close(campaign)
    text = flat("".join(page_texts(render_pdf(bulletin_html(campaign)))))
    assert "对照检查完成2/4个单位，未达到排名所需的80%：暂不排名，不认定末位。" in text
    assert "本次评议没有按末位规则标记的单位。" in text  # the circulated text names nobody


def test_a_checklist_with_enough_reviews_is_ranked(app):
    campaign = checklist_campaign(reviewed=4)  # 办公室 has deductions, the others none
    result = campaign_results(campaign, use_cache=False).schemes["checklist"]
    ranks = {u.unit: u.rank for u in result.units}
    assert ranks == {"办公室": 2, "政策法规科": 1, "建设工程质量监督站": 1, "行政审批服务窗口": 1}
    assert "bottom" in next(u for u in result.units if u.unit == "办公室").flags
    assert "对照检查完成 4/4 个单位。" in map(str, result.notes)
