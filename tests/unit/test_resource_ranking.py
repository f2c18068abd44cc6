"""The parts of search that need no database: cutting a query into phrases, the light stem, and the order the
ranking gives (a rare concept above a common one; a name above a title above an answer)."""

from __future__ import annotations

from core.resources import ranking
from core.resources.search import expansions, parse

SYNONYMS = expansions({"ck": ["step 2 ck"]}, ["failed step", "Step 2 CK", "Step 1", "is it true"])


def test_a_query_keeps_the_most_words_in_phrases():
    assert [c.typed for c in parse("i failed step 2 ck yesterday", SYNONYMS).concepts] == [
        "failed", "step 2 ck", "yesterday"]
    assert [c.typed for c in parse("is step 1 still scored", SYNONYMS).concepts] == ["step 1", "scored"]
    assert [c.typed for c in parse("someone said so, is it true", SYNONYMS).concepts] == ["said", "is it true"]


def test_the_stem_joins_the_forms_a_member_types():
    for forms in (("token", "tokens"), ("score", "scored", "scoring"), ("verify", "verified", "verification"),
                  ("mentor", "mentorship", "mentors"), ("study", "studies", "studying"), ("burn", "burned")):
        assert len({ranking.stem(w) for w in forms}) == 1, forms
    assert ranking.stem("status") == "status" and ranking.stem("1b") == "1b"


def test_a_rare_concept_named_by_an_entry_outweighs_a_common_one_in_a_title():
    token = ranking.document("the ecfmg eras token", "token ; eras token", "eras", "a token from ecfmg")
    overview = ranking.document("eras and myeras", "eras ; myeras", "eras", "apply with eras and ecfmg")
    concepts = ranking.concept_phrases([[("eras",)], [("tokens",)]])
    weights = [ranking.idf(40, 90), ranking.idf(3, 90)]
    assert ranking.score(token, concepts, weights) > ranking.score(overview, concepts, weights)
    assert ranking.document("x", "eras", "", "").place(concepts[0]) == ranking.NAMED
    assert ranking.document("eras", "", "", "").place(concepts[0]) == ranking.TITLE
    assert ranking.document("x", "", "", "eras").place(concepts[0]) == ranking.ANSWER
