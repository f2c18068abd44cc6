"""The order of a search's candidates, decided once in Python so that SQLite and PostgreSQL agree.

The engines find the candidates; they do not rank them alike. FTS5's bm25 weighs a word by how rare it is, but
PostgreSQL's ts_rank has no inverse document frequency at all, so there a common word ("ecfmg", "eras", "img"),
matched in many places, outweighs the one rare word that names the entry ("token", "mentor", "burned out"). And both
sum every phrase of a concept, so a word with three expansions counts three times. Here instead:

- each concept of the query (a word, a number kept in its phrase like "step 1", a synonym with its expansions)
  counts once, by the best place an entry has any of its phrases: as one of the entry's names (an alias) above its
  title, above part of an alias, above a tag, above the answer;
- a concept weighs its inverse document frequency, from the counts the database gives beside the candidates
  (`ResourceStore.search`: the entries in this community's scope that have any of its phrases), so a rare concept
  outweighs a common one on both engines;
- words are compared by a light stem on both sides ("tokens" finds "token", "scored" "score", "studying" "study"),
  the same whatever stemmer the engine has.

Nothing here reads the database; a candidate is its entry's words in four fields, and the store caches the document
of each stored entry, as an entry's words change only when the entry does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from core.resources.search import Phrase

# Where a concept matched, best first: all of one of the entry's names, in its title, within a name, a tag, the answer.
NAMED, TITLE, IN_NAME, TAG, ANSWER = 1.0, 0.8, 0.7, 0.4, 0.2
ALIAS_SEPARATOR = " ; "  # how the store joins an entry's aliases in its alias column


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A light English stem, enough for a word to find its plural, its -ed/-ing forms and the noun it makes
    ("verify" "verification", "mentor" "mentorship"): the query and the entries both go through it, so it has to be
    consistent, not a dictionary's root."""
    if len(word) <= 3 or not word.isalpha():
        return word
    word = _inflection(word)
    for suffix, keep in (("ication", "y"), ("ship", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: len(word) - len(suffix)] + keep
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word  # score, scored, scoring


def _inflection(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if not word.endswith(suffix) or len(word) - len(suffix) < 3:
            continue
        if suffix == "es" and not word.endswith(("ches", "shes", "xes", "zes", "oes")):
            continue
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            return word
        word = word[: len(word) - len(suffix)] + keep
        if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
            word = word[:-1]  # planned, running
        return word
    return word


def stems(words: Sequence[str]) -> str:
    """Words as one padded string of stems (" step 1 "), so a phrase is found by a substring test; a lone "s" (what
    an apostrophe leaves: "dean's") is dropped on both sides."""
    return " " + " ".join(stem(w) for w in words if w != "s") + " "


@dataclass(frozen=True)
class Document:
    """An entry's words as the ranking reads them: each field a padded string of stems."""

    names: frozenset[str]
    title: str
    aliases: str
    tags: str
    answer: str

    def place(self, phrases: Sequence[str]) -> float:
        """The weight of the best place any of the phrases (padded stems) has in this entry; 0.0 for none."""
        best = 0.0
        for phrase in phrases:
            if phrase in self.names:
                return NAMED
            for weight, field in ((TITLE, self.title), (IN_NAME, self.aliases), (TAG, self.tags),
                                  (ANSWER, self.answer)):
                if weight <= best:
                    break
                if phrase in field:
                    best = weight
                    break
        return best


@lru_cache(maxsize=4096)
def document(title_terms: str, alias_terms: str, tag_terms: str, answer_terms: str) -> Document:
    """The document of an entry's four word columns (as the store keeps them: words joined by spaces, aliases by
    ALIAS_SEPARATOR)."""
    names = [stems(a.split()) for a in alias_terms.split(ALIAS_SEPARATOR) if a.strip()]
    return Document(frozenset(names), stems(title_terms.split()), " ; ".join(names),
                    stems(tag_terms.split()), stems(answer_terms.split()))


def concept_phrases(concepts: Sequence[Sequence[Phrase]]) -> list[tuple[str, ...]]:
    """Each concept's phrases as padded stems."""
    return [tuple(dict.fromkeys(stems(p) for p in phrases if p)) for phrases in concepts]


def idf(found_in: int, total: int) -> float:
    """Inverse document frequency, as bm25 has it (never negative): rare concepts weigh more."""
    return math.log(1 + (total - found_in + 0.5) / (found_in + 0.5))


def score(doc: Document, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> float:
    """The sum over the query's concepts of its weight times the best place the entry has it."""
    return sum(w * doc.place(phrases) for phrases, w in zip(concepts, weights, strict=True) if w)
