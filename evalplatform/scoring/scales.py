"""The answer scales a dimensioned scheme may ask its items on (不了解 is no vote)."""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import lazy_gettext

ABSTAIN = "不了解"


@dataclass(frozen=True)
class RatingScale:
    title: str
    options: tuple[tuple[str, float | None], ...]


#: By key, as a configuration names them.
RATING_SCALES: dict[str, RatingScale] = {
    "good4": RatingScale(lazy_gettext("好、较好、一般、差（另设不了解）"),
                         (("好", 100.0), ("较好", 80.0), ("一般", 60.0), ("差", 0.0),
                          (ABSTAIN, None))),
    "satisfaction5": RatingScale(lazy_gettext("满意、比较满意、基本满意、不太满意、不满意（另设不了解）"),
                                 (("满意", 100.0), ("比较满意", 80.0), ("基本满意", 60.0),
                                  ("不太满意", 40.0), ("不满意", 0.0), (ABSTAIN, None))),
}
