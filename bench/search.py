"""Search over the reference data: milliseconds per query, over every name the index holds.

    python bench/search.py [--count 0] [--api 500]

Asks registry/search.py for every name of every country, substance and product (`--count`
of them when given, spread over the index), each as written and misspelt (one letter of its
middle dropped), and times four ways side by side, in rounds that alternate: the floor,
a dictionary lookup of the normalised query (what an exact-only search costs); rapidfuzz's
`process.extract` alone over all the names (the library's share of a fuzzy search); the
whole search (`search.search`: normalisation, exact, prefix, word, inside and fuzzy
matches, ranking); and `GET /api/v1/search` through the WSGI application in process
(`--api` queries, a sample). Target (issue 14): under 5 ms per query at the median.
"""
import argparse
import statistics
import sys
import time

from rapidfuzz import process
from rapidfuzz.distance import OSA

from registry import create_app, search

ROUNDS = 5


def summary(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    return f"{label}: median {statistics.median(ordered):.3f} ms, mean {statistics.fmean(ordered):.3f} ms, p95 {p95:.3f} ms over {len(ordered)}"


def queries(count: int) -> list[str]:
    """Every name of the index as written, and each misspelt, or `count` of each spread evenly."""
    index = search._index()
    written = [owners[0][2] for owners in index.owners]
    if count:
        step = max(len(written) // count, 1)
        written = written[::step][:count]
    misspelt = [name[: len(name) // 2] + name[len(name) // 2 + 1:] if len(name) > 3 else name for name in written]
    return written + misspelt


def measure(count: int, api: int) -> tuple[str, dict[str, list[float]]]:
    """(what was asked, milliseconds per query of each way)."""
    started = time.perf_counter()
    index = search._index()
    built = (time.perf_counter() - started) * 1000
    asked = queries(count)
    names = index.names
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench"})
    client = app.test_client()

    def floor(text):
        return index.where.get(search.normalise(text))

    def fuzzy_only(text):
        return process.extract(search.normalise(text), names, scorer=OSA.distance, score_cutoff=2, limit=search.LIMIT_MAX)

    def over_wsgi(text):
        answer = client.get("/api/v1/search", query_string={"q": text})
        assert answer.status_code in (200, 422), answer.status_code

    ways = {"floor: dict lookup": floor, "rapidfuzz extract alone": fuzzy_only, "search.search": search.search}
    samples: dict[str, list[float]] = {label: [] for label in [*ways, "GET /api/v1/search, in process"]}
    for text in asked[:50]:  # warm up
        for work in ways.values():
            work(text)
    per_round = len(asked) // ROUNDS + 1
    sample_step = max(len(asked) // api, 1) if api else 0
    for number in range(ROUNDS):
        for label, work in ways.items():
            for text in asked[number * per_round:(number + 1) * per_round]:
                began = time.perf_counter()
                work(text)
                samples[label].append((time.perf_counter() - began) * 1000)
        if api:
            for text in asked[number * per_round:(number + 1) * per_round:sample_step]:
                began = time.perf_counter()
                over_wsgi(text)
                samples["GET /api/v1/search, in process"].append((time.perf_counter() - began) * 1000)
    kinds = {kind: sum(1 for owners in index.owners if any(owner[0] == kind for owner in owners)) for kind in search.KINDS}
    described = (f"{len(names)} distinct names ({', '.join(f'{kind} {number}' for kind, number in kinds.items())}); "
                 f"index built in {built:.0f} ms; {len(asked)} queries, half of them misspelt")
    return described, samples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=0, help="names to ask (0: every name)")
    parser.add_argument("--api", type=int, default=500, help="queries to ask through the API (0: none)")
    args = parser.parse_args(argv)
    described, samples = measure(args.count, args.api)
    print(f"search: {described}")
    for label, values in samples.items():
        if values:
            print(f"search: {summary(label, values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
