"""The embedded default engine: one tantivy index directory per generation under ``DATA_DIR``.

The active generation is named in a pointer file replaced atomically (``os.replace``), so readers
switch between two complete indices, never see a half-built one. Only the projection (holding the
projection lock) opens writers; read API processes open readers and reload before searching.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import tantivy

from search_index.documents import SEARCHABLE_TEXT
from search_index.engine import SearchEngine, SearchHit, SearchRequest, SearchResult

_WORD = re.compile(r"\w+", re.UNICODE)
_FIELD_BOOSTS = {"title": 3.0, "practitioner_name": 2.0, "description": 1.0}
_WRITER_HEAP = 50_000_000


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in ("id", "kind", "practitioner_id"):
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    for name in SEARCHABLE_TEXT:
        builder.add_text_field(name, stored=True, tokenizer_name="en_stem")
    builder.add_integer_field("visible", stored=False, indexed=True, fast=True)
    builder.add_integer_field("price_cents", stored=False, indexed=True, fast=True)
    builder.add_integer_field("version", stored=False, indexed=False, fast=True)
    builder.add_bytes_field("source", stored=True)
    return builder.build()


class TantivyEngine(SearchEngine):
    name = "tantivy"

    def __init__(self, root: Path, *, prefix: str) -> None:
        self.root = root
        self.prefix = prefix
        self.schema = _schema()
        self._readers: dict[int, tantivy.Index] = {}
        self._lock = threading.Lock()

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

    def _open(self, generation: int) -> tantivy.Index:
        path = self._dir(generation)
        path.mkdir(parents=True, exist_ok=True)
        return tantivy.Index(self.schema, path=str(path), reuse=True)

    # --- write side -----------------------------------------------------------------------------
    def prepare(self, generation: int) -> None:
        path = self._dir(generation)
        if path.exists() and not tantivy.Index.exists(str(path)):
            shutil.rmtree(path)
        self._open(generation)

    def write(self, generation: int, documents: Iterable[dict[str, Any]]) -> None:
        docs = list(documents)
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

    def _to_tantivy(self, doc: dict[str, Any]) -> tantivy.Document:
        out = tantivy.Document()
        out.add_text("id", doc["id"])
        out.add_text("kind", doc["kind"])
        out.add_text("practitioner_id", doc.get("practitioner_id") or "")
        for name in SEARCHABLE_TEXT:
            out.add_text(name, doc.get(name) or "")
        out.add_integer("visible", 1 if doc.get("visible") else 0)
        out.add_integer("price_cents", int(doc.get("price_cents") or 0))
        out.add_integer("version", int(doc["version"]))
        out.add_bytes("source", orjson.dumps(doc))
        return out

    def _documents(self, index: tantivy.Index, query: tantivy.Query, limit: int) -> list[dict[str, Any]]:
        index.reload()
        searcher = index.searcher()
        hits = searcher.search(query, limit=max(limit, 1), count=False).hits
        return [orjson.loads(searcher.doc(address)["source"][0]) for _, address in hits]

    def get(self, generation: int, doc_id: str) -> dict[str, Any] | None:
        index = self._open(generation)
        found = self._documents(index, tantivy.Query.term_query(self.schema, "id", doc_id), 1)
        return found[0] if found else None

    def find(self, generation: int, *, field_name: str, value: str) -> list[dict[str, Any]]:
        index = self._open(generation)
        index.reload()
        query = tantivy.Query.term_query(self.schema, field_name, value)
        total = index.searcher().search(query, limit=1, count=True).count or 0
        return self._documents(index, query, total)

    def all_documents(self, generation: int) -> list[dict[str, Any]]:
        index = self._open(generation)
        index.reload()
        total = index.searcher().num_docs
        docs = self._documents(index, tantivy.Query.all_query(), total) if total else []
        return sorted(docs, key=lambda d: d["id"])

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
        shutil.rmtree(self._dir(generation), ignore_errors=True)

    # --- read side ------------------------------------------------------------------------------
    def _reader(self) -> tantivy.Index | None:
        generation = self.active_generation()
        if generation is None or not tantivy.Index.exists(str(self._dir(generation))):
            return None
        with self._lock:
            index = self._readers.get(generation)
            if index is None:
                index = tantivy.Index.open(str(self._dir(generation)))
                self._readers = {generation: index}
        return index

    def _text_query(self, index: tantivy.Index, q: str) -> tantivy.Query:
        words = _WORD.findall(q.lower())
        if not words:
            return tantivy.Query.all_query()
        parsed, _errors = index.parse_query_lenient(
            " ".join(words),
            list(SEARCHABLE_TEXT),
            field_boosts=_FIELD_BOOSTS,
            fuzzy_fields={name: (False, 1, True) for name in SEARCHABLE_TEXT},
        )
        return parsed

    def search(self, request: SearchRequest) -> SearchResult:
        index = self._reader()
        if index is None:
            return SearchResult(total=0)
        index.reload()
        schema = self.schema
        kinds = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "kind", kind)) for kind in request.kinds]
        )
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._text_query(index, request.q)),
                (tantivy.Occur.Must, tantivy.Query.term_query(schema, "visible", 1)),
                (tantivy.Occur.Must, kinds),
            ]
        )
        searcher = index.searcher()
        result = searcher.search(query, limit=request.limit, count=True, offset=request.offset)
        hits = []
        for score, address in result.hits:
            doc = orjson.loads(searcher.doc(address)["source"][0])
            hits.append(SearchHit(kind=doc["kind"], id=doc["id"], score=float(score), document=doc))
        return SearchResult(total=int(result.count or 0), hits=hits)

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
