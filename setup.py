"""Adds the bundled bank (questions/ at the repo root) to the wheel as the package quizapp.questions."""
from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["quizapp*"]), "quizapp.questions"])
