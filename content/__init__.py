"""Bundled content: the question bank and its taxonomy, shipped as package data so an installed bot finds them."""

from importlib.resources import files
from importlib.resources.abc import Traversable


def root() -> Traversable:
    return files(__name__)


def question_files() -> list[Traversable]:
    """Every bundled question file, in a stable order so loading is deterministic."""
    folder = root() / "questions"
    return sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)


def taxonomy_text() -> str:
    return (root() / "taxonomy.json").read_text(encoding="utf-8")
