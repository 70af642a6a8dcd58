"""The embedded default engine: one tantivy index directory per generation under ``DATA_DIR``.

The active generation is named in a pointer file replaced atomically (``os.replace``), so readers
switch between two complete indices, never see a half-built one; a reader that loses a race with the
deletion of the old generation retries on the new one. Only the projection (holding the projection lock)
opens writers; read API processes open readers and reload before searching.

Analysis mirrors the Elasticsearch definition (:mod:`search_index.documents`) with registered tantivy
analyzers: ``simple`` tokenizer, lowercase, ASCII folding, Snowball English stemming. tantivy has no geo
type: a distance filter is a bounding-box range query on the ``lat``/``lng`` fast fields followed by an
exact great-circle check. Sorting with tie-breakers, the distance check and pagination happen over the
fast-field values of all hits, so the order is exactly the one the other engines produce.
"""

from __future__ import annotations

import functools
import heapq
import html
import math
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson
import tantivy
from tantivy import DocAddress, FieldType, Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from search_index.documents import FACETS, KINDS, MAX_TOKEN_LENGTH, TEXT_FIELDS, doc_key
from search_index.engine import (
    SearchEngine,
    SearchHit,
    SearchRequest,
    SearchResult,
    Suggestion,
    SuggestRequest,
)
from search_index.geo import Point, bounding_box, haversine_km
from search_index.query_plan import SuggestPlan, WordClause, matches_nothing, sort_keys, suggest_plan, word_clauses

_WRITER_HEAP = 50_000_000
POSITION_ID = "@position"  # the id of the hidden document holding the generation's own position
_KEYWORD_FIELDS = ("id", "practitioner_id")
_FACET_FIELDS = ("kind", "service_type", "format", "category", "modalities")
_STORED_TEXT = ("title", "description")
_T = TypeVar("_T")
_SNIPPET_CHARS = 150
_SUGGEST_CANDIDATES = 50
_RETRIES = 3
_MAX_TIED_CANDIDATES = 2_000
_FIRST_FETCH_STEPS = 2  # ×4 steps the first search skips (see _first_fetch)
_REGEX_CACHE_SIZE = 4_096
_RESULT_CACHE_SIZE = 256  # answers kept per process and kind of question (search, suggestions)
_FAST_SORT_FIELDS = {"price_cents": "price_cents", "rating": "rating", "review_count": "review_count",
                     "popularity": "popularity", "created_at": "created_ts", "id": "doc_key"}


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    def words() -> TextAnalyzerBuilder:
        return (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.lowercase()).filter(Filter.ascii_fold())
                .filter(Filter.remove_long(MAX_TOKEN_LENGTH + 1)))

    return {
        "folding_english": words().filter(Filter.stemmer("english")).build(),
        "folding": words().build(),
        "folding_keyword": TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.lowercase())
        .filter(Filter.ascii_fold()).build(),
    }


ANALYZERS = _analyzers()


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in _KEYWORD_FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    for name in _FACET_FIELDS:
        builder.add_text_field(name, stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=name in _STORED_TEXT, tokenizer_name="folding_english")
        builder.add_text_field(f"{name}_words", stored=False, tokenizer_name="folding")
    builder.add_text_field("title_sort", stored=False, tokenizer_name="folding_keyword", index_option="basic")
    for name in ("visible", "price_cents", "popularity", "doc_key"):
        builder.add_integer_field(name, stored=False, indexed=True, fast=True)
    for name in ("review_count", "created_ts", "version", *_NATIVE_ORDERS):
        builder.add_integer_field(name, stored=False, indexed=False, fast=True)
    for name in ("rating", "lat", "lng"):
        builder.add_float_field(name, stored=False, indexed=True, fast=True)
    builder.add_bytes_field("source", stored=True)
    return builder.build()


_REGEX_META = frozenset("\\.+*?()|[]{}^$#&-~")


def _regex_escape(text: str) -> str:
    """``text`` as a literal in tantivy's regex syntax: only its metacharacters are escaped (an escaped
    ``<`` or ``>`` is a word-boundary assertion there, which tantivy refuses)."""
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


def _timestamp(value: str | None) -> int | None:
    if not value:
        return None
    return int(datetime.fromisoformat(value).timestamp() * 1_000_000)


_MISSING_LAST = math.inf


# --- native orders ---------------------------------------------------------------------------------
# tantivy sorts natively on one fast field, so each ordering gets one i64 whose ascending order is the
# ordering's: its high bits the primary keys (missing last), its low bits a prefix of the id. Ties on
# the high bits at the end of a page are settled exactly in Python (see ``_search_top``).
@dataclass(frozen=True)
class NativeOrder:
    field: str
    id_bits: int  # low bits holding the id prefix; ``key >> id_bits`` is the primary part


_I64_MAX = 2**63 - 1
_PRICE_CAP = 2**27  # cents (the write API allows up to 10^8)
_MILLIS_CAP = 2**44  # epoch milliseconds, until the year 2527
_POPULARITY_CAP = 2**19
_REVIEWS_CAP = 2**20
_NATIVE_ORDERS = {
    "order_price_asc": NativeOrder("order_price_asc", 36),
    "order_price_desc": NativeOrder("order_price_desc", 36),
    "order_rating": NativeOrder("order_rating", 30),
    "order_newest": NativeOrder("order_newest", 19),
    "order_popular": NativeOrder("order_popular", 0),
}
_ORDERING_FIELDS = {"price": "order_price_asc", "-price": "order_price_desc", "rating": "order_rating",
                    "newest": "order_newest"}


def _native_order(request: SearchRequest) -> NativeOrder | None:
    """None: by score (relevance with words)."""
    if request.ordering == "relevance":
        return None if word_clauses(request.q) else _NATIVE_ORDERS["order_popular"]
    return _NATIVE_ORDERS[_ORDERING_FIELDS[request.ordering]]


def _order_keys(doc: dict[str, Any]) -> dict[str, int]:
    key = doc_key(doc["id"])  # 60 bits

    def low(bits: int) -> int:
        return key >> (60 - bits)

    price, rating = doc.get("price_cents"), doc.get("rating")
    millis = _timestamp(doc.get("created_at"))
    millis = None if millis is None else min(max(millis // 1000, 0), _MILLIS_CAP - 1)
    reviews = _REVIEWS_CAP - 1 - min(int(doc.get("review_count") or 0), _REVIEWS_CAP - 1)
    stars = 5001 if rating is None else 5000 - min(max(round(float(rating) * 1000), 0), 5000)
    popularity = _POPULARITY_CAP - 1 - min(int(doc.get("popularity") or 0), _POPULARITY_CAP - 1)
    return {
        "order_price_asc": _I64_MAX if price is None else (min(int(price), _PRICE_CAP - 1) << 36) | low(36),
        "order_price_desc": _I64_MAX if price is None else ((_PRICE_CAP - 1 - min(int(price), _PRICE_CAP - 1)) << 36)
        | low(36),
        "order_rating": (stars << 50) | (reviews << 30) | low(30),
        "order_newest": _I64_MAX if millis is None else ((_MILLIS_CAP - 1 - millis) << 19) | low(19),
        "order_popular": (popularity << 44) | (_MILLIS_CAP - 1 - (millis or 0)),
    }


IndexVersion = tuple[int, int]  # generation, and the opstamp of its last commit (from its meta.json)


class _Answers:
    """The last :data:`_RESULT_CACHE_SIZE` answers of one kind, by (index version, request): least recently
    used first out. An answer is a pure function of the request and the committed index, and every commit
    records a higher opstamp in the generation's ``meta.json``, so an answer is reused only while the index
    is exactly the one it was computed on (the version is read before the reader reloads, so an answer
    computed on a newer commit can be stored under the older version, never the reverse)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                found: _T = self._entries[key]
                return found
        value = compute()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > _RESULT_CACHE_SIZE:
                self._entries.popitem(last=False)
        return value


def _first_fetch(wanted: int) -> int:
    """The first candidate count: ``wanted + 1`` grown :data:`_FIRST_FETCH_STEPS` ×4 steps, but never past the
    last size the growth would try (the first more than ``_MAX_TIED_CANDIDATES`` beyond ``wanted``)."""
    fetch = wanted + 1
    for _ in range(_FIRST_FETCH_STEPS):
        if wanted == 0 or fetch - wanted > _MAX_TIED_CANDIDATES:
            break
        fetch *= 4
    return fetch


class TantivyEngine(SearchEngine):
    name = "tantivy"

    def __init__(self, root: Path, *, prefix: str) -> None:
        self.root = root
        self.prefix = prefix
        self.schema = _schema()
        self._writers: dict[int, tantivy.Index] = {}
        self._readers: dict[int, tantivy.Index] = {}
        self._lock = threading.Lock()
        self._regexes: dict[tuple[str, str], Query] = {}
        self._searches = _Answers()
        self._suggestions = _Answers()

    def _regex(self, field_name: str, pattern: str) -> Query:
        """A regex query, compiled once per field and pattern (compiling costs ~0.4 ms; queries are immutable).
        Typed prefixes repeat, so the cache stays small; it is cleared past :data:`_REGEX_CACHE_SIZE`."""
        key = (field_name, pattern)
        query = self._regexes.get(key)
        if query is None:
            if len(self._regexes) >= _REGEX_CACHE_SIZE:
                self._regexes = {}
            query = self._regexes[key] = Query.regex_query(self.schema, field_name, pattern)
        return query

    # --- layout ---------------------------------------------------------------------------------
    def _dir(self, generation: int) -> Path:
        return self.root / f"{self.prefix}_g{generation}"

    def _pointer(self) -> Path:
        return self.root / f"{self.prefix}.active"

    def active_generation(self) -> int | None:
        try:
            return int(self._pointer().read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    @staticmethod
    def _registered(index: tantivy.Index) -> tantivy.Index:
        for name, analyzer in ANALYZERS.items():
            index.register_tokenizer(name, analyzer)
        return index

    def _open(self, generation: int) -> tantivy.Index:
        with self._lock:
            index = self._writers.get(generation)
            if index is None:
                for gone in [g for g in self._writers if not self._dir(g).exists()]:  # discarded elsewhere
                    del self._writers[gone]
                path = self._dir(generation)
                path.mkdir(parents=True, exist_ok=True)
                index = self._registered(tantivy.Index(self.schema, path=str(path), reuse=True))
                self._writers[generation] = index
        return index

    # --- write side -----------------------------------------------------------------------------
    def prepare(self, generation: int) -> None:
        path = self._dir(generation)
        if path.exists() and not tantivy.Index.exists(str(path)):
            shutil.rmtree(path)
        self._open(generation)

    def write(self, generation: int, documents: Iterable[dict[str, Any]], *, position: int | None = None) -> None:
        docs = list(documents)
        if position is not None:
            # The position is a hidden document (never visible, no kind readers ask for) in the same commit.
            docs.append({"id": POSITION_ID, "kind": "position", "version": position, "visible": False})
        if not docs:
            return
        index = self._open(generation)
        writer = index.writer(_WRITER_HEAP, 1)
        try:
            for doc in docs:
                writer.delete_documents_by_term("id", doc["id"])
                writer.add_document(self._to_tantivy(doc))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        index.reload()

    @staticmethod
    def _to_tantivy(doc: dict[str, Any]) -> tantivy.Document:
        out = tantivy.Document()
        out.add_text("id", doc["id"])
        out.add_text("practitioner_id", doc.get("practitioner_id") or "")
        for name in _FACET_FIELDS:
            values = doc.get(name)
            for value in values if isinstance(values, list) else [values]:
                if value:
                    out.add_text(name, value)
        for name in TEXT_FIELDS:
            out.add_text(name, doc.get(name) or "")
            out.add_text(f"{name}_words", doc.get(name) or "")
        out.add_text("title_sort", doc.get("title") or "")
        out.add_integer("visible", 1 if doc.get("visible") else 0)
        out.add_integer("popularity", int(doc.get("popularity") or 0))
        out.add_integer("review_count", int(doc.get("review_count") or 0))
        out.add_integer("doc_key", doc_key(doc["id"]))
        out.add_integer("version", int(doc["version"]))
        if doc.get("price_cents") is not None:
            out.add_integer("price_cents", int(doc["price_cents"]))
        if doc.get("rating") is not None:
            out.add_float("rating", float(doc["rating"]))
        created = _timestamp(doc.get("created_at"))
        if created is not None:
            out.add_integer("created_ts", created)
        location = doc.get("location")
        if location:
            out.add_float("lat", float(location["lat"]))
            out.add_float("lng", float(location["lon"]))
        for name, value in _order_keys(doc).items():
            out.add_integer(name, value)
        out.add_bytes("source", orjson.dumps(doc))
        return out

    @staticmethod
    def _stored(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> dict[str, Any]:
        stored: dict[str, Any] = orjson.loads(searcher.doc(address)["source"][0])
        return stored

    def _all(self, index: tantivy.Index, query: Query) -> list[dict[str, Any]]:
        index.reload()  # another worker process may have committed since this one last looked
        searcher = index.searcher()
        total = searcher.search(query, limit=1, count=True).count or 0  # type: ignore[attr-defined]  # tantivy's stubs omit SearchResult.count
        if not total:
            return []
        return [self._stored(searcher, a) for _, a in searcher.search(query, limit=total, count=False).hits]

    def get(self, generation: int, kind: str, doc_id: str) -> dict[str, Any] | None:
        found = self._all(self._open(generation), Query.term_query(self.schema, "id", doc_id))
        return found[0] if found and found[0]["kind"] == kind else None

    def get_many(self, generation: int, doc_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        if not doc_ids:
            return {}
        found = self._all(self._open(generation), Query.term_set_query(self.schema, "id", list(doc_ids)))
        return {d["id"]: d for d in found}

    def practitioner_documents(self, generation: int, practitioner_id: str) -> list[dict[str, Any]]:
        query = Query.term_query(self.schema, "practitioner_id", practitioner_id)
        return [d for d in self._all(self._open(generation), query) if d["kind"] != "practitioner"]

    def all_documents(self, generation: int) -> list[dict[str, Any]]:
        docs = self._all(self._open(generation), Query.all_query())
        return sorted((d for d in docs if d["id"] != POSITION_ID), key=lambda d: d["id"])

    def applied_position(self, generation: int) -> int:
        path = self._dir(generation)
        if not path.exists() or not tantivy.Index.exists(str(path)):
            return 0
        found = self._all(self._open(generation), Query.term_query(self.schema, "id", POSITION_ID))
        return int(found[0]["version"]) if found else 0

    def activate(self, generation: int) -> None:
        pointer = self._pointer()
        pointer.parent.mkdir(parents=True, exist_ok=True)
        temporary = pointer.with_suffix(".tmp")
        temporary.write_text(str(generation))
        os.replace(temporary, pointer)

    def discard(self, generation: int) -> None:
        if generation == self.active_generation():
            raise ValueError("refusing to discard the active generation")
        with self._lock:
            self._readers.pop(generation, None)
            self._writers.pop(generation, None)
        shutil.rmtree(self._dir(generation), ignore_errors=True)

    # --- read side: plumbing --------------------------------------------------------------------------
    def _reader(self) -> tuple[int, tantivy.Index, IndexVersion | None] | None:
        generation = self.active_generation()
        if generation is None or not tantivy.Index.exists(str(self._dir(generation))):
            return None
        with self._lock:
            index = self._readers.get(generation)
            if index is None:
                index = self._registered(tantivy.Index.open(str(self._dir(generation))))
                self._readers = {generation: index}
        try:  # before the reload: what the reader then sees is this version or a newer one
            meta = orjson.loads((self._dir(generation) / "meta.json").read_bytes())
            version: IndexVersion | None = (generation, int(meta["opstamp"]))
        except (OSError, ValueError, KeyError, TypeError):
            version = None
        index.reload()
        return generation, index, version

    def _with_reader(self, answer: Callable[[tantivy.Index], _T], empty: _T, *, answers: _Answers | None = None,
                     question: Hashable = None) -> _T:
        """Run ``answer(index)`` on the active generation; retry if a rebuild switched it meanwhile. With
        ``answers``, the answer to ``question`` on this version of the index is computed once."""
        for attempt in range(_RETRIES):
            opened = None
            try:
                opened = self._reader()
                if opened is None:
                    return empty
                _, index, version = opened
                if answers is None or version is None:
                    return answer(index)
                return answers.get_or_compute((version, question), functools.partial(answer, index))
            except Exception:
                switched = opened is None or self.active_generation() != opened[0]
                if attempt == _RETRIES - 1 or not switched:
                    raise
                with self._lock:
                    self._readers.pop(opened[0] if opened else -1, None)
        return empty

    # --- read side: queries ---------------------------------------------------------------------------
    def _term(self, field_name: str, value: Any) -> Query:
        return Query.term_query(self.schema, field_name, value)

    @staticmethod
    def _analyzed(analyzer: str, word: str) -> str | None:
        tokens = ANALYZERS[analyzer].analyze(word)
        return tokens[0] if tokens else None

    def _word_query(self, clause: WordClause) -> Query:
        stem = self._analyzed("folding_english", clause.word)
        should: list[tuple[Occur, Query]] = []
        if stem:
            exact = [Query.boost_query(self._term(f, stem), 2 * boost) for f, boost in TEXT_FIELDS.items()]
            should.append((Occur.Should, Query.disjunction_max_query(exact)))
        folded = self._analyzed("folding", clause.word)
        if folded and clause.fuzzy:
            fuzzy = [Query.boost_query(Query.fuzzy_term_query(self.schema, f"{f}_words", folded, 1, True, False), boost)
                     for f, boost in TEXT_FIELDS.items()]
            should.append((Occur.Should, Query.disjunction_max_query(fuzzy)))
        if clause.prefix:
            pattern = _regex_escape(clause.prefix) + ".*"
            should.append((Occur.Should, self._regex("title_words", pattern)))
        return Query.boolean_query(should) if should else Query.empty_query()

    def _filters(self, request: SearchRequest) -> list[tuple[Occur, Query]]:
        f = request.filters
        must: list[tuple[Occur, Query]] = [(Occur.Must, self._term("visible", 1))]
        if set(request.kinds) != set(KINDS):
            must.append((Occur.Must, Query.term_set_query(self.schema, "kind", list(request.kinds))))
        for name, value in (("service_type", f.service_type), ("format", f.format), ("category", f.category),
                            ("modalities", f.modality), ("practitioner_id", f.practitioner_id)):
            if value is not None:
                must.append((Occur.Must, self._term(name, value)))
        if f.price_min_cents is not None or f.price_max_cents is not None:
            must.append((Occur.Must, Query.range_query(self.schema, "price_cents", FieldType.Integer,
                                                       f.price_min_cents, f.price_max_cents)))
        if f.rating_min is not None:
            must.append((Occur.Must, Query.range_query(self.schema, "rating", FieldType.Float, f.rating_min, None)))
        if f.near is not None and f.distance_km is not None:
            box = bounding_box(f.near, f.distance_km)
            must.append((Occur.Must, Query.range_query(self.schema, "lat", FieldType.Float, box.min_latitude,
                                                       box.max_latitude)))
            longitudes = [(Occur.Should, Query.range_query(self.schema, "lng", FieldType.Float, lo, hi))
                          for lo, hi in box.longitude_ranges]
            must.append((Occur.Must, Query.boolean_query(longitudes)))
        return must

    def _query(self, request: SearchRequest) -> Query:
        clauses = [(Occur.Must, self._word_query(c)) for c in word_clauses(request.q)]
        if not clauses:
            clauses = [(Occur.Must, Query.all_query())]
        filters = [(Occur.Must, Query.const_score_query(q, 0.0)) for _, q in self._filters(request)]  # no scoring
        return Query.boolean_query(clauses + filters)

    # --- read side: search ----------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResult:
        if matches_nothing(request):
            return SearchResult(total=0)
        return self._with_reader(lambda index: self._search(index, request), SearchResult(total=0),
                                 answers=self._searches, question=request)

    def _search(self, index: tantivy.Index, request: SearchRequest) -> SearchResult:
        searcher = index.searcher()
        query = self._query(request)
        f = request.filters
        if (f.near is not None and f.distance_km is not None) or request.ordering == "distance":
            return self._search_all_hits(searcher, query, request)
        return self._search_top(searcher, query, request)

    def _search_top(self, searcher: tantivy.Searcher, query: Query, request: SearchRequest) -> SearchResult:
        """Only the best ``offset + limit`` hits (more while ties straddle the page end), ordered natively
        by the ordering's primary key, then exactly by every key; facets by aggregation.

        With more than :data:`_MAX_TIED_CANDIDATES` hits sharing the primary key at the page end (identical
        texts scoring identically), those keep tantivy's order (by segment and document) instead.

        Candidates grow ``wanted + 1``, ×4, ×4… up to the first size more than ``_MAX_TIED_CANDIDATES`` past
        the page end. Whether the ties settle depends only on that last size (the primary keys are sorted),
        so the first search starts :data:`_FIRST_FETCH_STEPS` steps in: at 100k services nearly every
        relevance page ends inside a tie, and each search scans every match (measured: 2.9 scans per search,
        now 1.04). Only the first counts the matches."""
        native = _native_order(request)
        wanted = request.offset + request.limit
        fetch, settled = _first_fetch(wanted), True
        count: int | None = None
        while True:
            if native is None:
                found = searcher.search(query, limit=fetch, count=count is None)
            else:
                found = searcher.search(query, limit=fetch, count=count is None, order_by_field=native.field,
                                        order=tantivy.Order.Asc)
            if count is None:
                count = int(found.count or 0)  # type: ignore[attr-defined]  # tantivy's stubs omit SearchResult.count
            hits = found.hits
            if len(hits) < fetch or wanted == 0:
                break
            primary = ([s for s, _ in hits] if native is None
                       else [cast(int, v) >> native.id_bits for v in searcher.fast_field_values(native.field,
                                                                                       [a for _, a in hits])])
            if primary[wanted - 1] != primary[fetch - 1]:
                break
            if fetch - wanted > _MAX_TIED_CANDIDATES:
                settled = False  # thousands of equal keys across the page end: keep tantivy's own order
                break
            fetch *= 4
        addresses = [a for _, a in hits]
        scores = [float(s) for s, _ in hits] if native is None else [0.0] * len(hits)
        order = (self._order(searcher, request, list(range(len(hits))), addresses, scores, [None] * len(hits))
                 if settled else list(range(len(hits))))
        facets = self._facets(searcher, query) if request.facets else {}
        return self._page(searcher, request, order, addresses, scores, count or 0, facets)

    def _search_all_hits(self, searcher: tantivy.Searcher, query: Query, request: SearchRequest) -> SearchResult:
        """Every hit in Python: a distance filter needs the exact great-circle check after the bounding box
        (so counts, facets and pages exclude the box's corners), a distance order needs each distance."""
        total = searcher.search(query, limit=1, count=True).count or 0  # type: ignore[attr-defined]  # tantivy's stubs omit SearchResult.count
        if not total:
            return SearchResult(total=0, facets=self._facets(searcher, None) if request.facets else {})
        scored = searcher.search(query, limit=total, count=False).hits
        addresses = [a for _, a in scored]
        scores = [float(s) for s, _ in scored]
        distances = self._distances(searcher, addresses, request.filters.near)
        keep = list(range(len(addresses)))
        facet_query = query
        f = request.filters
        if f.near is not None and f.distance_km is not None:
            keep = [i for i, d in enumerate(distances) if d is not None and d <= f.distance_km]
            outside = set(range(len(addresses))) - set(keep)
            if outside:
                keys = searcher.fast_field_values("doc_key", [addresses[i] for i in sorted(outside)])
                facet_query = Query.boolean_query([(Occur.Must, query),
                                                   (Occur.MustNot, Query.term_set_query(self.schema, "doc_key",
                                                                                        keys))])
        order = self._order(searcher, request, keep, addresses, scores, distances)
        facets = self._facets(searcher, facet_query) if request.facets else {}
        return self._page(searcher, request, order, addresses, scores, len(keep), facets)

    def _page(self, searcher: tantivy.Searcher, request: SearchRequest, order: list[int], addresses: list[DocAddress],
              scores: list[float], total: int, facets: dict[str, dict[str, int]]) -> SearchResult:
        highlighter = self._highlighter(searcher, request) if request.highlight else None
        hits = []
        for i in order[request.offset:request.offset + request.limit]:
            stored = searcher.doc(addresses[i])
            doc = orjson.loads(stored["source"][0])
            highlights = highlighter(stored) if highlighter else {}
            hits.append(SearchHit(kind=doc["kind"], id=doc["id"], score=scores[i], document=doc,
                                  highlights=highlights))
        return SearchResult(total=total, hits=hits, facets=facets)

    @staticmethod
    def _distances(searcher: tantivy.Searcher, addresses: list[DocAddress], near: Point | None) -> list[float | None]:
        if near is None:
            return [None] * len(addresses)
        lats = searcher.fast_field_values("lat", addresses)
        lngs = searcher.fast_field_values("lng", addresses)
        return [None if lat is None or lng is None else haversine_km(near, Point(lat, lng))
                for lat, lng in zip(lats, lngs, strict=True)]

    def _order(self, searcher: tantivy.Searcher, request: SearchRequest, keep: list[int], addresses: list[DocAddress],
               scores: list[float], distances: list[float | None]) -> list[int]:
        """Indices (into ``addresses``) of the hits up to the end of the requested page, in order.

        Each sort key becomes one column of plain numbers (descending negated, missing +inf so it sorts
        last either way); rows are tuples compared in C, and only the top ``offset + limit`` are selected.
        """
        chosen = [addresses[i] for i in keep]
        columns: list[list[float]] = []
        for key in sort_keys(request):
            if key.field == "_score":
                raw: Sequence[Any] = [scores[i] for i in keep]
            elif key.field == "_distance":
                raw = [distances[i] for i in keep]
            else:
                raw = searcher.fast_field_values(_FAST_SORT_FIELDS[key.field], chosen)
            sign = -1 if key.descending else 1
            columns.append([_MISSING_LAST if v is None else sign * v for v in raw])
        rows = list(zip(*columns, keep, strict=True))
        wanted = request.offset + request.limit
        top = heapq.nsmallest(wanted, rows) if wanted < len(rows) else sorted(rows)
        return [row[-1] for row in top]

    def _facets(self, searcher: tantivy.Searcher, query: Query | None) -> dict[str, dict[str, int]]:
        if query is None:
            return {name: {} for name in FACETS}
        spec = {name: {"terms": {"field": name, "size": 1000}} for name in FACETS}
        result = searcher.aggregate(query, spec)
        return {name: {b["key"]: int(b["doc_count"]) for b in result[name]["buckets"]} for name in FACETS}

    def _highlighter(self, searcher: tantivy.Searcher,
                     request: SearchRequest) -> Callable[[tantivy.Document], dict[str, str]]:
        stems = [s for s in (self._analyzed("folding_english", c.word) for c in word_clauses(request.q)) if s]
        generators = {}
        for name in _STORED_TEXT:
            terms = [(Occur.Should, self._term(name, s)) for s in stems]
            query = Query.boolean_query(terms) if terms else Query.empty_query()
            generator = tantivy.SnippetGenerator.create(searcher, query, self.schema, name)
            generator.set_max_num_chars(_SNIPPET_CHARS)
            generators[name] = generator

        def highlight(stored: tantivy.Document) -> dict[str, str]:
            out = {}
            for name, generator in generators.items():
                values = stored.get_all(name)
                if not values:
                    continue
                snippet = generator.snippet_from_doc(stored)
                out[name] = (_marked(snippet, values[0]) if snippet.highlighted()
                             else html.escape(values[0][:_SNIPPET_CHARS]))
            return out

        return highlight

    # --- read side: suggestions and single documents ------------------------------------------------
    def suggest(self, request: SuggestRequest) -> list[Suggestion]:
        plan = suggest_plan(request)
        if plan is None or request.limit < 1:
            return []
        return self._with_reader(lambda index: self._suggest(index, request, plan), [],
                                 answers=self._suggestions, question=request)

    def _suggest(self, index: tantivy.Index, request: SuggestRequest, plan: SuggestPlan) -> list[Suggestion]:
        searcher = index.searcher()
        filters = [(Occur.Must, self._term("visible", 1))]
        if set(request.kinds) != set(KINDS):
            filters.append((Occur.Must, Query.term_set_query(self.schema, "kind", list(request.kinds))))
        prefix_words = [(Occur.Must, self._regex("title_words", _regex_escape(w) + ".*"))
                        for w in plan.words]
        fuzzy_words = [(Occur.Must, Query.fuzzy_term_query(self.schema, "title_words", w, 1, True, True) if fuzzy
                        else self._regex("title_words", _regex_escape(w) + ".*"))
                       for w, fuzzy in zip(plan.words, plan.fuzzy, strict=True)]
        tiers = (
            (3, self._regex("title_sort", _regex_escape(plan.phrase) + ".*")),
            (2, Query.boolean_query(prefix_words)),
            (1, Query.boolean_query(fuzzy_words)),
        )
        best: dict[str, tuple[int, dict[str, Any]]] = {}
        wanted = max(_SUGGEST_CANDIDATES, request.limit * 5)
        for quality, tier in tiers:
            found = searcher.search(Query.boolean_query([(Occur.Must, tier), *filters]), limit=wanted,
                                    order_by_field="popularity", order=tantivy.Order.Desc).hits
            for _, address in found:
                doc = self._stored(searcher, address)
                if doc["id"] not in best:
                    best[doc["id"]] = (quality, doc)
            if len(best) >= request.limit:
                break  # a lower tier cannot outrank these
        ranked = sorted(best.values(), key=lambda qd: (-qd[0], -int(qd[1].get("popularity") or 0),
                                                       ANALYZERS["folding_keyword"].analyze(qd[1]["title"])[:1],
                                                       qd[1]["id"]))
        return [Suggestion(text=d["title"], kind=d["kind"], id=d["id"], quality=q,
                           popularity=int(d.get("popularity") or 0)) for q, d in ranked[:request.limit]]

    def fetch(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        def answer(index: tantivy.Index) -> dict[str, Any] | None:
            found = self._all(index, self._term("id", doc_id))
            return found[0] if found and found[0]["kind"] == kind else None

        return self._with_reader(answer, None)

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)


def _marked(snippet: tantivy.Snippet, text: str) -> str:
    """The snippet as HTML with each highlighted range in ``<em>`` (offsets are UTF-8 bytes). A text short
    enough is shown whole (tantivy's fragment stops at the last word, dropping trailing punctuation)."""
    whole = len(text) <= _SNIPPET_CHARS
    shift = snippet.fragment_range().start if whole else 0
    source = (text if whole else snippet.fragment()).encode()
    out, cursor = [], 0
    for span in sorted(snippet.highlighted(), key=lambda r: r.start):
        start, end = span.start + shift, span.end + shift
        out.append(html.escape(source[cursor:start].decode(errors="ignore")))
        out.append("<em>" + html.escape(source[start:end].decode(errors="ignore")) + "</em>")
        cursor = end
    out.append(html.escape(source[cursor:].decode(errors="ignore")))
    return "".join(out)
