"""Scoring: the tally cube, schemes (built-in ones are plugins), results, frozen rules.

What a plugin author needs is importable from here.
"""

from .cube import BallotArrays, Cube, CubeGroup, CubeItem, CubeOption, CubeUnit
from .results import CampaignResults, GroupCell, ItemCell, ItemSpec, ReportSection, SchemeResult, UnitResult
from .scheme import Evaluation, Scheme, WeightedScheme

__all__ = [
    "BallotArrays", "CampaignResults", "Cube", "CubeGroup", "CubeItem", "CubeOption",
    "CubeUnit", "Evaluation", "GroupCell", "ItemCell", "ItemSpec", "ReportSection",
    "Scheme", "SchemeResult", "UnitResult", "WeightedScheme",
]
