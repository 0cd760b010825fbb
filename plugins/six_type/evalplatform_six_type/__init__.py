"""六型机关 (six-type organ): a scoring scheme plugin for evalplatform.

学习型、服务型、高效型（或务实型）、和谐型、创新型、廉洁型: each dimension has its items on
the ballot; dimension score = mean of its items, composite = weighted mean of the six;
a radar chart per unit and a heat map of units × dimensions on the results page; on a
unit's page and in its report, its radar chart and its dimension scores.
Installed as the entry point ``six_type`` in the group ``evalplatform.plugins``.
"""

from __future__ import annotations

__version__ = "1.0.0"

from pathlib import Path  # noqa: E402

from evalplatform import hookimpl  # noqa: E402

from .scheme import SCHEME, SixTypeScheme  # noqa: E402

__all__ = ["SCHEME", "SixTypeScheme", "register_schemes", "translation_directories"]


@hookimpl
def register_schemes():
    return [SCHEME]


@hookimpl
def translation_directories():
    return [Path(__file__).resolve().parent / "translations"]
