"""Discovered topics: what each department's documents are about, found by clustering their chunk vectors;
topics no map area covers are *candidate key knowledge areas*.

chunk vectors (vectors.py) per department x embedding space -> one vector per document (the normalised mean
of its chunks) -> clusters (agglomerative, cosine, average linkage, cut at TOPIC_DISTANCE) -> topics: label
(most distinctive terms), representative document, size, freshness, owners (experts.py), covering areas

Method, chosen by measurement on the sample exports (tests/coverage/test_discovery.py, docs/coverage.md):
with half the map removed, agglomerative clustering cut at cosine distance 0.25 proposed every removed area
(7/7) with 30 of 32 top candidates judged not noise; cuts at 0.35 / 0.45 merged topics (4/7, 3/7) and
k-means with k by silhouette matched the recall with more noise (29/34). Each embedding space is clustered
on its own (an English and a Chinese chunk are not comparable), so one subject written in both languages
can give two topics.

Labels: terms as the lexical index analyses text (kmingest.analysis.analyze: stemmed English words, CJK
bigrams), ranked by how much more often documents of the cluster hold them than the department's other
documents (document frequency in the cluster x log inverse document frequency in the department); an English
stem is shown as its most frequent spelling, a CJK bigram as the word it belongs to (cjk_words.py). An area
covers a topic when it claims at least half of its documents and means the same (covers()); a topic no
area covers is a candidate if it has `min_documents` documents.
Labels, the representative document and owners come only from public documents (every reader may see
them); a topic of restricted documents only is labelled RESTRICTED_LABEL, with its size and dates.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest
from statistics import median

import numpy as np
from sklearn.cluster import AgglomerativeClustering  # type: ignore[import-untyped]

from kmingest.analysis import analyze, is_cjk
from kmingest.coverage.cjk_words import CjkWords
from kmingest.coverage.experts import rank_experts
from kmingest.coverage.metrics import age_days
from kmingest.coverage.model import DiscoveredTopic, Person
from kmingest.coverage.semantic import SemanticMatcher
from kmingest.coverage.vectors import ChunkVectors, Matrix, normalised
from kmingest.index.base import Caller, DocumentFacts

TOPIC_DISTANCE = 0.25  # cosine distance at which the agglomerative tree is cut (measured; see above)
LABEL_TERMS = 5
# agglomerative clustering holds a documents x documents distance matrix: per department and model, only the
# most recently updated MAX_CLUSTERED documents are clustered (about 70 MB of distances)
MAX_CLUSTERED = 3000
RESTRICTED_LABEL = "(restricted documents only)"  # no public document to take terms from
COVERED_SHARE = 0.5  # an area holding this share of a topic's documents covers it ...
COVER_MARGIN = 0.15  # ... if their median similarity to it is at least the model's area threshold minus this
_WORD = re.compile(r"[a-z][a-z0-9-]+")


def cluster(matrix: Matrix, distance: float = TOPIC_DISTANCE) -> list[int]:
    """Cluster label per row (normalised vectors): average-linkage agglomerative clustering on cosine."""
    if len(matrix) < 2:
        return [0] * len(matrix)
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    )
    return [int(x) for x in model.fit_predict(matrix)]


def newest(doc_ids: set[str], facts: Mapping[str, DocumentFacts], limit: int) -> list[str]:
    """At most `limit` of the documents, the most recently updated first (undated last)."""
    stamp: dict[str, float] = {}
    for doc_id in doc_ids:
        updated = facts[doc_id].updated_at
        stamp[doc_id] = updated.timestamp() if updated is not None else float("-inf")
    return sorted(doc_ids, key=lambda d: (-stamp[d], d))[:limit]


def _cluster_documents(chunks: ChunkVectors, clusterer: Callable[[Matrix], list[int]]) -> list[int]:
    """Cluster label per chunk: documents (the normalised mean of their chunks) are clustered, and each
    chunk takes its document's cluster."""
    order = list(dict.fromkeys(chunks.doc_ids))
    rows: dict[str, list[int]] = {}
    for i, doc_id in enumerate(chunks.doc_ids):
        rows.setdefault(doc_id, []).append(i)
    means = np.stack([chunks.matrix[rows[d]].mean(axis=0) for d in order]).astype(np.float32)
    labels = clusterer(normalised(means))
    by_doc = dict(zip(order, labels, strict=True))
    return [by_doc[d] for d in chunks.doc_ids]


def _doc_clusters(doc_ids: Sequence[str], labels: Sequence[int]) -> dict[int, list[str]]:
    """Each document joins the cluster that holds most of its chunks (ties: the lower cluster number)."""
    votes: dict[str, Counter[int]] = {}
    for doc_id, label in zip(doc_ids, labels, strict=True):
        votes.setdefault(doc_id, Counter())[label] += 1
    out: dict[int, list[str]] = {}
    for doc_id, counts in votes.items():
        best = min(counts, key=lambda c: (-counts[c], c))
        out.setdefault(best, []).append(doc_id)
    return out


def _terms(text: str) -> Counter[str]:
    """The label terms of a text with how often each occurs."""
    return Counter(t for t in analyze(text) if len(t) > 1 and not t.isdigit() and (is_cjk(t) or len(t) > 2))


def _spellings(texts: Sequence[str]) -> dict[str, str]:
    """English stem -> its most frequent spelling in the texts."""
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for word in _WORD.findall(text.lower()):
            stems = analyze(word)
            if len(stems) == 1:
                seen.setdefault(stems[0], Counter())[word] += 1
    return {stem: words.most_common(1)[0][0] for stem, words in seen.items()}


def _overlap(a: str, b: str) -> bool:
    """Two labels that repeat each other: one holds the other, or they share two CJK bigrams."""
    if a in b or b in a:
        return True
    grams = {a[i : i + 2] for i in range(len(a) - 1) if is_cjk(a[i : i + 2])}
    return len(grams & {b[i : i + 2] for i in range(len(b) - 1)}) >= 2


def label_terms(
    cluster_docs: Sequence[str],
    doc_terms: Mapping[str, Collection[str]],
    top: int = LABEL_TERMS,
    spellings: Mapping[str, str] | None = None,
    words: CjkWords | None = None,
) -> tuple[str, ...]:
    """The terms that set a cluster's documents apart from the department's other documents (equally
    distinctive ones: the more frequent in the cluster first); a CJK bigram is shown as the word it belongs
    to in the department's texts (`words`), and left out where it belongs to none; each word once."""
    inside = Counter(t for d in cluster_docs for t in doc_terms.get(d, ()))
    frequency: Counter[str] = Counter()
    for d in cluster_docs:
        frequency.update(doc_terms.get(d, ()))  # a Counter adds its counts, a set 1 per term
    everywhere = Counter(t for terms in doc_terms.values() for t in terms)
    n = max(len(doc_terms), 1)
    # a term in every document of the department sets nothing apart (idf 0), unless it is one document
    score = {
        t: (c / len(cluster_docs)) * (math.log(n / everywhere[t]) if n > 1 else 1.0)
        for t, c in inside.items()
        if c > 1 or len(cluster_docs) == 1
    }
    shown: list[str] = []
    for term in sorted((t for t in score if score[t] > 0), key=lambda t: (-score[t], -frequency[t], t)):
        label = (words.word(term) if words else term) if is_cjk(term) else (spellings or {}).get(term, term)
        if label is not None and not any(_overlap(label, other) for other in shown):
            shown.append(label)
        if len(shown) == top:
            break
    return tuple(shown)


@dataclass(frozen=True)
class MapArea:
    name: str
    texts: tuple[str, ...]  # what semantic matching compares with (Area.meaning)
    documents: frozenset[str]  # its matching documents (keyword or meaning)


def covers(area: MapArea, members: set[str], space: str, matcher: SemanticMatcher) -> bool:
    """The area claims at least half of the topic's documents, and is about them: their median best
    similarity to the area's texts reaches the model's threshold minus COVER_MARGIN (a keyword that happens
    to occur in documents about something else does not make an area cover them)."""
    if len(members & area.documents) < COVERED_SHARE * len(members):
        return False
    scores = matcher.scores(area.texts)
    similarity = median(scores[d][0] if d in scores else -1.0 for d in members)
    return similarity >= matcher.minimum.get(space, 1.0) - COVER_MARGIN


@dataclass(frozen=True)
class _Vocabulary:
    """What the labels of one department's topics (in one embedding space) are made of: each public
    document's terms with their counts, English spellings, and the Chinese words of the public texts."""

    doc_terms: Mapping[str, Counter[str]]
    spellings: Mapping[str, str]
    words: CjkWords


def _vocabulary(chunks: ChunkVectors, facts: Mapping[str, DocumentFacts]) -> _Vocabulary:
    texts: dict[str, list[str]] = {}
    for doc_id, text in zip(chunks.doc_ids, chunks.texts, strict=True):
        texts.setdefault(doc_id, []).append(text)
    # labels come from public documents only: a term of a restricted document must not show
    public = {d: t for d, t in texts.items() if facts[d].public}
    doc_terms = {d: _terms(facts[d].title + "\n" + "\n".join(t)) for d, t in public.items()}
    # titles, then every document's first chunk, its second, ...: CjkWords' size cap keeps some of each
    every_text = [facts[d].title for d in public] + [
        t for layer in zip_longest(*public.values()) for t in layer if t is not None
    ]
    return _Vocabulary(doc_terms, _spellings(every_text), CjkWords(every_text))


def discover(
    facts: Mapping[str, DocumentFacts],
    matcher: SemanticMatcher,
    areas: Sequence[MapArea],
    as_of: datetime,
    min_documents: int = 2,
    clusterer: Callable[[Matrix], list[int]] = cluster,
) -> list[tuple[DiscoveredTopic, list[str]]]:
    """Topics per department (largest first) with their documents' ids (never kept in the report),
    candidates marked. `areas`: every map area with its texts and documents;
    `matcher` scores documents against an area's texts. Titles and owners
    come only from public documents."""
    topics: list[tuple[DiscoveredTopic, list[str]]] = []
    departments = sorted({f.department for f in facts.values()})
    for dept in departments:
        for space in sorted(matcher.vectors):
            chunks = matcher.vectors[space].subset(d for d, f in facts.items() if f.department == dept)
            if not chunks.doc_ids:
                continue
            chunks = chunks.subset(newest(set(chunks.doc_ids), facts, MAX_CLUSTERED))
            labels = _cluster_documents(chunks, clusterer)
            vocabulary = _vocabulary(chunks, facts)
            for n, docs in enumerate(
                sorted(_doc_clusters(chunks.doc_ids, labels).values(), key=len, reverse=True)
            ):
                topics.append(
                    (
                        _topic(
                            dept,
                            f"{dept}/{space}/{n + 1}",
                            docs,
                            chunks,
                            facts,
                            vocabulary,
                            areas,
                            matcher,
                            as_of,
                            min_documents,
                        ),
                        docs,
                    )
                )
    return topics


def _topic(
    dept: str,
    topic_id: str,
    docs: list[str],
    chunks: ChunkVectors,
    facts: Mapping[str, DocumentFacts],
    vocabulary: _Vocabulary,
    areas: Sequence[MapArea],
    matcher: SemanticMatcher,
    as_of: datetime,
    min_documents: int,
) -> DiscoveredTopic:
    members = set(docs)
    rows = [i for i, d in enumerate(chunks.doc_ids) if d in members]
    centre = chunks.matrix[rows].mean(axis=0)
    public = [i for i in rows if facts[chunks.doc_ids[i]].public]
    nearest = max(public, key=lambda i: float(chunks.matrix[i] @ centre)) if public else None
    dated = [f.updated_at for f in (facts[d] for d in docs) if f.updated_at is not None]
    ages = [a for a in (age_days(d, as_of) for d in dated) if a is not None]
    covered = tuple(a.name for a in areas if covers(a, members, chunks.space, matcher))
    shown = [d for d in docs if facts[d].public]
    terms = (
        label_terms(shown, vocabulary.doc_terms, spellings=vocabulary.spellings, words=vocabulary.words)
        if shown
        else ()
    )
    owners = rank_experts([facts[d] for d in docs], Caller.anonymous(), as_of, limit=3)
    return DiscoveredTopic(
        department=dept,
        topic_id=topic_id,
        label=", ".join(terms) or RESTRICTED_LABEL,
        terms=terms,
        documents=len(docs),
        chunks=len(rows),
        representative=facts[chunks.doc_ids[nearest]].title if nearest is not None else "",
        freshest=max(dated) if dated else None,
        median_age_days=round(median(ages), 1) if ages else None,
        owners=tuple(Person(name=e.name, documents=e.documents, latest=e.latest) for e in owners),
        covered_by=covered,
        candidate=not covered and len(docs) >= min_documents,
    )
