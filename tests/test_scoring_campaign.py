"""Scoring a real campaign: the cube from the database, frozen rules, verification,
caching, the bootstrap's verdicts, and ballot rules enforced at submission."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select, text

from evalplatform.extensions import db
from evalplatform.models import Ballot
from evalplatform.scoring.cube import load_cube
from evalplatform.scoring.engine import campaign_results
from evalplatform.scoring.rules import rules_for, sha256
from evalplatform.services import ServiceError, campaigns, codes
from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
from evalplatform.testing import answers_stored, build_campaign, csrf_token, stored_answers

UNITS4 = [("办公室", "综合管理类"), ("政策法规科", "综合管理类"),
          ("质量监督站", "执法监管类"), ("审批窗口", "服务窗口类")]


def cast(campaign, code: str, choose) -> None:
    """Submit a ballot; ``choose(unit_name, item)`` returns the option index."""
    q = questionnaire(campaign)
    ballot = BallotInput(answers={(u.id, i.id): choose(u.name, i)
                                  for u in q.units for i in q.items})
    submit_ballot(codes.hash_code(code), q, ballot)
    db.session.commit()


def test_cube_counts_what_was_submitted(app):
    campaign, plaintext = build_campaign(codes_per_group=3, unit_rows=UNITS4)
    picks = [0, 1, 5]  # 满意, 比较满意, 不了解
    for code, pick in zip(plaintext["服务对象"], picks, strict=True):
        cast(campaign, code, lambda name, item, pick=pick: pick)
    cast(campaign, plaintext["机关干部"][0], lambda name, item: 4)
    rules, _, _ = rules_for(campaign, {})
    cube = load_cube(campaign.id, rules)
    assert cube.counts.shape == (4, 1, 2, 6)
    assert cube.counts.sum() == 4 * 4
    np.testing.assert_array_equal(cube.counts[0, 0, 0], [1, 1, 0, 0, 0, 1])
    np.testing.assert_array_equal(cube.counts[0, 0, 1], [0, 0, 0, 0, 1, 0])
    assert list(cube.ballots) == [3, 1]


def test_rules_freeze_when_the_campaign_opens(app):
    campaign, _ = build_campaign(status="draft")
    preview = campaign_results(campaign)
    assert not preview.frozen and campaign.rules_sha256 is None
    campaigns.configure_scheme(campaign, "satisfaction", {"bottom": {"mode": "category", "n": 2}},
                               None)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    assert len(campaign.rules_sha256) == 64
    assert campaign.rules_sha256 == sha256(campaign.rules)
    assert campaign.rules["schemes"]["satisfaction"]["config"]["bottom"]["n"] == 2
    results = campaign_results(campaign)
    assert results.frozen and results.rules_sha256 == campaign.rules_sha256
    with pytest.raises(ServiceError):
        campaigns.configure_scheme(campaign, "satisfaction", {}, None)


def test_verify_recomputes_from_ballots_and_catches_tampering(app):
    campaign, plaintext = build_campaign(codes_per_group=6, unit_rows=UNITS4)
    for k, code in enumerate(plaintext["服务对象"] + plaintext["机关干部"]):
        cast(campaign, code, lambda name, item, k=k: (k + len(name)) % 5)
    campaigns.close_campaign(campaign, None)
    db.session.commit()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["results", "verify", str(campaign.id)])
    assert ok.exit_code == 0, ok.output
    assert "OK: results match" in ok.output and campaign.rules_sha256 in ok.output
    missing = runner.invoke(args=["results", "verify", "999"])
    assert missing.exit_code != 0 and "no campaign 999" in missing.output


def test_cells_tally_what_was_cast_and_verify_catches_a_tampered_ballot(app):
    """Someone edits a ballot in the database after publication."""
    campaign, plaintext = build_campaign(codes_per_group=6, unit_rows=UNITS4)
    for k, code in enumerate(plaintext["服务对象"] + plaintext["机关干部"]):
        cast(campaign, code, lambda name, item, k=k: (k * 7 + len(name)) % 6)
    rules, _, _ = rules_for(campaign, {})
    cube = load_cube(campaign.id, rules)
    expected = np.zeros_like(cube.counts)
    units = {u.id: k for k, u in enumerate(cube.units)}
    items = {i.id: k for k, i in enumerate(cube.items)}
    groups = {g.id: k for k, g in enumerate(cube.groups)}
    for ballot in db.session.scalars(select(Ballot)):
        for (unit_id, item_id), option in stored_answers(ballot.id).items():
            expected[units[unit_id], items[item_id], groups[ballot.rater_group_id], option] += 1
    np.testing.assert_array_equal(cube.counts, expected)
    assert cube.ballots.tolist() == [6, 6]
    campaigns.close_campaign(campaign, None)
    db.session.commit()

    def verify_after(cells: bytes) -> str:
        db.session.execute(text("UPDATE ballot SET cells = :c WHERE id = (SELECT min(id) FROM ballot)"),
                           {"c": cells})
        db.session.commit()
        outcome = app.test_cli_runner().invoke(args=["results", "verify", str(campaign.id)])
        assert outcome.exit_code == 1 and "MISMATCH" in outcome.output
        return outcome.output

    good = app.test_cli_runner().invoke(args=["results", "verify", str(campaign.id)])
    assert good.exit_code == 0 and "OK: results match" in good.output
    size = len(cube.units) * len(cube.items)
    assert "differ from the results recomputed" in verify_after(bytes([0] * size))
    assert "hold options their items do not have" in verify_after(bytes([9] * size))
    assert f"do not have {size} cells" in verify_after(bytes([0] * (size - 1)))


def test_an_open_campaigns_results_are_sealed_and_do_not_move_with_a_ballot(app):
    """While the campaign is open nothing computed from ballots is shown: two reads a
    ballot apart are the same. Closing it publishes the results, cached until a ballot
    would change (it cannot, once closed)."""
    campaign, plaintext = build_campaign(codes_per_group=5)
    first = campaign_results(campaign)
    assert first.sealed and first.schemes == {} and first.sealed_schemes == ["satisfaction"]
    cast(campaign, plaintext["服务对象"][0], lambda name, item: 0)
    second = campaign_results(campaign, use_cache=False)
    assert {k: v for k, v in second.to_json().items() if k not in ("computed_at", "participation")} \
        == {k: v for k, v in first.to_json().items() if k not in ("computed_at", "participation")}
    for code in plaintext["服务对象"][1:]:
        cast(campaign, code, lambda name, item: 1)
    campaigns.close_campaign(campaign, None)
    db.session.commit()
    closed = campaign_results(campaign)
    assert not closed.sealed and closed.ballots == 5
    assert closed.schemes["satisfaction"].units[0].score == pytest.approx((100 + 4 * 80) / 5)
    assert campaign_results(campaign).computed_at == closed.computed_at  # from the cache


CLEAR_AND_UNCLEAR = [("甲科", "A"), ("乙科", "A"), ("丙科", "A"), ("丁站", "B"), ("戊站", "B")]


def clear_and_unclear_bottoms(raters: int, seed: int):
    """A closed campaign of one rater group whose category A has a bottom unit far below
    the others (丙科) and whose category B has two units nearly the same."""
    campaign, plaintext = build_campaign(codes_per_group=raters, unit_rows=CLEAR_AND_UNCLEAR,
                                         groups=(("服务对象", 1.0),))
    rng = np.random.default_rng(seed)
    centre = {"甲科": 0.3, "乙科": 0.6, "丙科": 3.6, "丁站": 1.0, "戊站": 1.05}
    for code in plaintext["服务对象"]:
        cast(campaign, code, lambda name, item: int(np.clip(round(
            rng.normal(centre[name], 0.7)), 0, 4)))
    campaigns.close_campaign(campaign, None)
    db.session.commit()
    return campaign


def test_bootstrap_is_deterministic_and_tells_clear_from_unclear_bottoms(app):
    campaign = clear_and_unclear_bottoms(40, seed=7)
    a = campaign_results(campaign, use_cache=False).schemes["satisfaction"]
    b = campaign_results(campaign, use_cache=False).schemes["satisfaction"]
    assert [u.interval for u in a.units] == [u.interval for u in b.units]
    by = {u.unit: u for u in a.units}
    for unit in a.units:
        low, high = unit.interval
        assert low <= unit.score <= high
        assert 1 <= unit.rank_interval[0] <= unit.rank <= unit.rank_interval[1] <= unit.ranked_in
    clear = by["丙科"]
    assert "bottom" in clear.flags and "bottom_uncertain" not in clear.flags
    assert clear.next_up == "乙科" and clear.p_below_next > 0.95
    unclear = next(u for u in (by["丁站"], by["戊站"]) if "bottom" in u.flags)
    assert "bottom_uncertain" in unclear.flags and unclear.p_below_next < 0.95


def test_a_closed_campaign_reuses_its_published_bootstrap_until_its_ballots_change(
        app, monkeypatch):
    """Reports of a closed campaign show the intervals and flags published when it closed,
    without resampling; ballots that differ from those the bootstrap drew from (edited
    in the database afterwards) are resampled, never shown with the old intervals."""
    from evalplatform.models import ResultSnapshot
    from evalplatform.scoring import engine

    campaign = clear_and_unclear_bottoms(30, seed=3)
    snapshot = db.session.scalar(select(ResultSnapshot))
    assert len(snapshot.bootstrap["ballots_sha256"]) == 64

    resampled = []
    real = engine.replicate_counts
    monkeypatch.setattr(engine, "replicate_counts",  # (the main draw: every scheme's cube)
                        lambda *a, **k: ("item_sets" in k and resampled.append(1)) or real(*a, **k))
    fresh = campaign_results(campaign, use_cache=False, reuse_published=False)
    assert resampled == [1]
    reused = campaign_results(campaign, use_cache=False)
    assert resampled == [1]  # not resampled again
    for a, b in zip(fresh.schemes["satisfaction"].units, reused.schemes["satisfaction"].units,
                    strict=True):
        assert (a.interval, a.rank_interval, a.p_below_next, a.flags) == \
               (b.interval, b.rank_interval, b.p_below_next, b.flags)
        assert a.interval is not None
    assert any("bottom_uncertain" in u.flags for u in reused.schemes["satisfaction"].units)
    shown = {k: v for k, v in reused.to_json().items() if k != "computed_at"}
    assert shown == {k: v for k, v in fresh.to_json().items() if k != "computed_at"}

    db.session.execute(text("UPDATE ballot SET cells = :c WHERE id = (SELECT min(id) FROM ballot)"),
                       {"c": bytes([4] * len(CLEAR_AND_UNCLEAR))})
    db.session.commit()
    edited = campaign_results(campaign, use_cache=False)
    assert resampled == [1, 1]
    assert edited.bootstrap["ballots_sha256"] != snapshot.bootstrap["ballots_sha256"]


def appraisal_campaign(config):
    campaign, plaintext = build_campaign(status="draft", template="appraisal",
                                         unit_rows=UNITS4, codes_per_group=3)
    campaigns.configure_scheme(campaign, "appraisal", config, None)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    return campaign, plaintext


def ballot_page(client, code):
    client.get(f"/s/{code}")
    return client.get("/survey").get_data(as_text=True)


def test_forced_distribution_refuses_too_many_excellent_votes(client, app):
    campaign, plaintext = appraisal_campaign({"max_excellent": 1})
    q = questionnaire(campaign)
    item = q.items[0]
    page = ballot_page(client, plaintext["服务对象"][0])
    votes = {f"a-{u.id}-{item.id}": "0" if k < 2 else "1" for k, u in enumerate(q.units)}
    refused = client.post("/survey", data={"csrf_token": csrf_token(page), **votes})
    assert refused.status_code == 422
    assert "最多 1 个" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    votes[f"a-{q.units[1].id}-{item.id}"] = "1"
    page = refused.get_data(as_text=True)
    accepted = client.post("/survey", data={"csrf_token": csrf_token(page), **votes})
    assert accepted.status_code == 303
    assert answers_stored() == 4


def test_uniform_ballots_can_be_refused(client, app):
    campaign, plaintext = appraisal_campaign({"reject_uniform": True})
    q = questionnaire(campaign)
    page = ballot_page(client, plaintext["服务对象"][0])
    same = {f"a-{u.id}-{q.items[0].id}": "1" for u in q.units}
    response = client.post("/survey", data={"csrf_token": csrf_token(page), **same})
    assert response.status_code == 422 and "完全相同" in response.get_data(as_text=True)


def test_a_campaign_can_mix_satisfaction_and_appraisal_items(app):
    campaign, _ = build_campaign(status="draft")
    campaigns.add_item(campaign, "班子总体评价", "appraisal4", True, None)
    db.session.commit()
    assert [row.scheme for row in campaign.schemes] == ["satisfaction", "appraisal"]
    results = campaign_results(campaign)
    assert set(results.schemes) == {"satisfaction", "appraisal"}
    campaigns.delete_item(campaign.items[-1], None)
    db.session.commit()
    assert [row.scheme for row in campaign.schemes] == ["satisfaction"]
