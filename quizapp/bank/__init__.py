"""The question bank: the YAML format, loading with file:line problems, variants.

Pure data and stdlib/pydantic/pyyaml: never imports torch (the runner does the live part).
"""

from quizapp.bank.bank import Bank, UnknownQuestion
from quizapp.bank.loader import load_bank, load_file
from quizapp.bank.models import Difficulty, Kind, Question
from quizapp.bank.problems import Problem
from quizapp.bank.summary import CoverageRow, coverage
from quizapp.bank.variants import (
    Variant,
    draw_variant,
    new_seed,
    params_as_code,
    substitute,
)

__all__ = [
    "Bank",
    "CoverageRow",
    "Difficulty",
    "Kind",
    "Problem",
    "Question",
    "UnknownQuestion",
    "Variant",
    "coverage",
    "draw_variant",
    "load_bank",
    "load_file",
    "new_seed",
    "params_as_code",
    "substitute",
]
