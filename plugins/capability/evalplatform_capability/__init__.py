"""The capability model (能力作风建设): a scoring scheme plugin for evalplatform.

Presets: 五种工作能力 + 五种优良作风 (two families of five dimensions, a weight per
family) and 五力 (学习力、执行力、凝聚力、创新力、免疫力). Scores per dimension, per family
and a composite; each unit's strongest and weakest dimension; a heat map and per-unit
bars on the results page; on a unit's page and in its report, its bars and its dimension
scores. Installed as the entry point ``capability`` in the group
``evalplatform.plugins``.
"""

from __future__ import annotations

__version__ = "1.0.0"

from pathlib import Path  # noqa: E402

from evalplatform import hookimpl  # noqa: E402

from .presets import PRESETS  # noqa: E402
from .scheme import SCHEME, CapabilityScheme  # noqa: E402

__all__ = ["PRESETS", "SCHEME", "CapabilityScheme", "register_schemes",
           "translation_directories"]


@hookimpl
def register_schemes():
    return [SCHEME]


@hookimpl
def translation_directories():
    return [Path(__file__).resolve().parent / "translations"]
