"""From what a member typed to what the database searches: words, never syntax.

A query is cut into words (letters and digits only: nothing of FTS5's or tsquery's syntax can survive, so `"NEAR(`,
`*`, `AND`, `^` or `:` are only text and never raise); stopwords and chatty phrasing are dropped so they cannot
sink the match; runs of words that are synonym keys or entries' aliases ("ck", "ds-2019", "step 1", "failed") become
concepts with their expansions beside them, cut so that as many words as can be stay inside phrases (a number keeps
its "step"). Each concept is a set of alternative phrases; the stores OR them all together for the engine to find
candidates, and `ranking` orders those, each concept counted once and weighed by its rarity. Documents are cut into
words by the same `terms`, so both databases see the same words whatever their own tokenizer makes of "DS-2019" or
"dean's". The stopwords are only words that say nothing of a topic: a word that says a little ("need": requirements)
is kept, and the ranking's rarity weight keeps it small.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from core.errors import UserError

QUERY_LIMIT = 300
MAX_CONCEPTS = 12  # a long chatty question keeps its first dozen significant words
MAX_ALTERNATIVES = 4
MIN_TYPO_LENGTH = 5  # shorter words are too easily "corrected" into another real word
_WORD = re.compile(r"[^\W_]+")
EXAMPLES = "like `ECFMG certification`, `SOAP` or `when does ERAS open`"

Phrase = tuple[str, ...]

STOPWORDS = frozenset(["a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "anyone", "anybody", "are", "as", "at", "be", "been", "before", "being", "below", "between", "both", "but", "by", "can", "cant", "could", "did", "do", "does", "doing", "dont", "down", "during", "each", "else", "ever", "every", "few", "for", "from", "further", "get", "gets", "getting", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "id", "if", "im", "in", "into", "is", "isnt", "it", "its", "itself", "ive", "just", "know", "let", "like", "lol", "me", "mine", "more", "most", "much", "must", "my", "myself", "no", "nor", "not", "now", "of", "off", "ok", "okay", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "pls", "plz", "please", "really", "same", "say", "says", "she", "should", "so", "some", "someone", "something", "still", "such", "tell", "than", "thank", "thanks", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "thing", "things", "this", "those", "through", "thx", "to", "too", "u", "under", "until", "up", "ur", "us", "very", "want", "wanna", "was", "way", "we", "were", "what", "whats", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "ya", "yall", "yes", "yet", "you", "your", "yours", "hey", "hi", "hello", "guys", "folks", "everyone", "everybody", "anyone", "question", "questions", "help", "explain", "wondering", "wonder", "confused", "kind", "sort", "maybe", "actually", "basically", "exactly", "pretty", "quick", "quickly"])


@dataclass(frozen=True)
class Concept:
    """One significant word or synonym of the query: what was typed, and every phrase that may stand for it."""

    typed: str
    phrases: tuple[Phrase, ...]
    expanded: bool = False  # phrases other than the typed one came from a synonym or an alias
    corrected: tuple[str, ...] = ()  # words a typo was corrected to

    @property
    def word(self) -> str | None:
        """The single word a typo may be corrected in (None: a number, a synonym, a phrase)."""
        if self.expanded or len(self.phrases) > 1 or len(self.phrases[0]) != 1 or not self.phrases[0][0].isalpha():
            return None
        return self.phrases[0][0]

    def shown(self) -> str:
        extra = [" ".join(p) for p in self.phrases[1:]]
        return f"{self.typed} ({', '.join(extra)})" if extra else self.typed


@dataclass(frozen=True)
class Query:
    typed: str
    concepts: tuple[Concept, ...]

    @property
    def changed(self) -> bool:
        return any(c.expanded or c.corrected for c in self.concepts)

    def shown(self) -> str:
        """What was searched, as `Found.searched` tells it: the significant words with their expansions."""
        return " ".join(c.shown() for c in self.concepts)

    def phrases(self) -> tuple[tuple[Phrase, ...], ...]:
        return tuple(c.phrases for c in self.concepts)

    def corrected(self, corrections: Mapping[str, tuple[str, ...]]) -> Query:
        """The query with typos' corrections beside the words as typed (a typed word that was right still counts)."""
        return replace(self, concepts=tuple(_corrected(c, corrections) for c in self.concepts))


def _corrected(concept: Concept, corrections: Mapping[str, tuple[str, ...]]) -> Concept:
    words = corrections.get(concept.word or "", ())
    return replace(concept, phrases=concept.phrases + tuple((w,) for w in words), corrected=words) if words else concept


def terms(text: str) -> list[str]:
    """The words of a text as both engines are given them: NFKC, case-folded, diacritics kept apart, every run of
    anything but letters and digits a separator."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded)


def parse(typed: str, synonyms: Mapping[Phrase, tuple[Phrase, ...]]) -> Query:
    """The query's concepts; a UserError (one friendly line) for nothing, too much, or nothing but punctuation."""
    text = typed.strip() if isinstance(typed, str) else ""
    if not text:
        raise UserError(f"Type what you are looking for, {EXAMPLES}.")
    if len(text) > QUERY_LIMIT:
        raise UserError(f"That is {len(text):,} characters; ask in under {QUERY_LIMIT}, {EXAMPLES}.")
    words = terms(text)
    if not words:
        raise UserError(f"I found no words in that to search for. Type a few words, {EXAMPLES}.")
    concepts = [_concept(words[i:j], synonyms) for i, j in segments(words, synonyms)]
    return Query(text, tuple(_dedupe(c for c in concepts if c is not None))[:MAX_CONCEPTS])


def segments(words: Sequence[str], synonyms: Mapping[Phrase, tuple[Phrase, ...]]) -> list[tuple[int, int]]:
    """The query cut into spans, each a synonym key or alias (a phrase) or one word: as many words inside phrases as
    can be, then as few spans as can be. Taking the longest phrase first from the left would cut "failed step 2 ck"
    into "failed step" (an alias), "2" and "ck", and lose "step 2 ck"; this keeps "failed" and "step 2 ck"."""
    longest = max((len(k) for k in synonyms), default=1)
    # from each position on, the best cut: (-words in phrases, spans, -end of its first span; the longer first)
    best: list[tuple[int, int, int]] = [(0, 0, 0)] * (len(words) + 1)
    for i in range(len(words) - 1, -1, -1):
        options = [(best[i + 1][0], best[i + 1][1] + 1, -(i + 1))]
        for n in range(2 if not synonyms.get(tuple(words[i:i + 1])) else 1, min(longest, len(words) - i) + 1):
            if tuple(words[i:i + n]) in synonyms:
                options.append((best[i + n][0] - n, best[i + n][1] + 1, -(i + n)))
        best[i] = min(options)
    spans, i = [], 0
    while i < len(words):
        spans.append((i, -best[i][2]))
        i = -best[i][2]
    return spans


def _concept(span: Sequence[str], synonyms: Mapping[Phrase, tuple[Phrase, ...]]) -> Concept | None:
    """A span as a concept: a phrase with its expansions, a significant word, or None for a stopword."""
    key = tuple(span)
    if len(key) > 1 or synonyms.get(key):
        return Concept(" ".join(key), (key, *synonyms[key])[:MAX_ALTERNATIVES], expanded=bool(synonyms[key]))
    word = key[0]
    if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
        return None
    return Concept(word, ((word,),))


def _dedupe(concepts: Iterable[Concept]) -> list[Concept]:
    seen: set[tuple[Phrase, ...]] = set()
    kept = []
    for concept in concepts:
        if concept.phrases not in seen:
            seen.add(concept.phrases)
            kept.append(concept)
    return kept


def expansions(synonyms: Mapping[str, Iterable[str]], aliases: Iterable[str]) -> dict[Phrase, tuple[Phrase, ...]]:
    """Synonym keys, as word tuples, each to the phrases it expands to; entries' aliases too, with no expansion of
    their own (the alias column finds their entry), so that "ds-2019" or "step 2" is searched as one phrase, never
    as words ("2019", "2") that match anything."""
    found: dict[Phrase, list[Phrase]] = {tuple(terms(alias)): [] for alias in aliases}
    for key, phrases in synonyms.items():
        found.setdefault(tuple(terms(key)), []).extend(tuple(terms(p)) for p in phrases)
    return {key: tuple(dict.fromkeys(p for p in phrases if p and p != key)) for key, phrases in found.items() if key}


def vocabulary(texts: Iterable[str]) -> set[str]:
    """The words a typo may be corrected to: alphabetic words of at least four letters."""
    return {w for text in texts for w in terms(text) if len(w) >= 4 and w.isalpha()}


def trigrams(word: str) -> list[str]:
    return list(dict.fromkeys(word[i:i + 3] for i in range(len(word) - 2)))


def allowed_distance(word: str) -> int:
    """How many edits a typo may be from the word meant: none under five letters, one up to seven, two beyond."""
    return 0 if len(word) < MIN_TYPO_LENGTH else 1 if len(word) <= 7 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or limit + 1 once it is sure to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def closest_words(word: str, candidates: Iterable[str], limit: int, keep: int = 2) -> tuple[str, ...]:
    """The candidates within `limit` edits of the word, nearest first (then alphabetically), at most `keep`."""
    scored = sorted((d, c) for c in set(candidates) if c != word and (d := distance(word, c, limit)) <= limit)
    return tuple(c for _, c in scored[:keep])
