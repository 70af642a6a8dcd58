"""How text is cut into words and folded, identically for every engine.

The engines index with the same analysis (see :mod:`search_index.documents`): words are maximal runs
of letters and digits, lowercased and ASCII-folded, and the full-text fields are then stemmed with
Snowball English (Porter2). The query side splits the user's text here, in Python, so each engine
receives the same words and makes the same decisions (which words are fuzzy, which is a prefix).
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_QUERY_WORDS = 12
FUZZY_MIN_LENGTH = 4  # words this long tolerate one edit (insert, delete, substitute, transpose)
PREFIX_MAX_LENGTH = 20  # edge n-grams are indexed up to this length
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "if", "in", "into", "is", "it", "of", "on",
    "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
})
_SPECIAL_FOLDS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d",
                                "þ": "th", "ı": "i"})


def fold(text: str) -> str:
    """Lowercase and strip accents (``Café`` → ``cafe``), like the engines' ``asciifolding``."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_SPECIAL_FOLDS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text`` in order."""
    return WORD.findall(fold(text))


def query_words(text: str) -> list[str]:
    """The words a query searches for: stop words dropped unless nothing else is left."""
    found = words(text)[:MAX_QUERY_WORDS]
    meaningful = [w for w in found if w not in STOPWORDS]
    return meaningful or found


def normalised_query(text: str) -> str:
    """The canonical form of a query (folded words joined by one space), used to count popular queries."""
    return " ".join(words(text))
