"""Vendor payloads with fields changed, for the adapters' property tests.

Each adapter's real sample payloads (the ones its own tests read) are the starting points.
Running the adapter on a sample records the fields it reads, present or not (Stripe's
`days_until_due` on an invoice): only a change there can change what it does. `sweep` sets
each of those fields to one value of each kind of JSON, or deletes it; `mutated` is the
strategy that sets one to three fields, mostly read ones, to any JSON value.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from hypothesis import strategies as st

from pulse.ingest.sources.base import SourceAdapter, SourceContext
from pulse.ingest.sources.registry import all_adapters

from .stripe_payloads import NOW, basil_subscription, sample, wrapped

FIXTURES = Path(__file__).parents[1] / "fixtures"
VENDORS = ("segment", "stripe", "zendesk", "statuspage")

Path_ = tuple[str | int, ...]

#: What orjson decodes: integers from -2**63 to 2**64 - 1 (larger ones come back as floats),
#: finite floats, and strings of Unicode scalar values (a lone surrogate is not UTF-8).
_JSON_SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8"), max_size=20),
)
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    _JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)
#: One value of each kind of JSON, and their edges.
KINDS: tuple[Any, ...] = (
    *(None, False, True, 0, -1, 2**64 - 1, -(2**63), 0.5, -1e308),
    *("", " ", "x", "\x00", [], [None], [[]], {}, {"": None}),
)
#: In place of a value: the field is deleted.
DELETED = object()


def _load(name: str) -> Any:
    return orjson.loads((FIXTURES / name).read_bytes())


def _stripe_samples() -> dict[str, Any]:
    """The 2020-08-27 events (with account metadata, which a change may delete), the events
    built from them, and Stripe's OpenAPI fixture objects in events of a recent API version."""
    kinds = (
        *("invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_failed"),
        *("customer.subscription.updated", "customer.subscription.deleted"),
    )
    built = (
        "customer.subscription.updated.basil_quantity.json",
        "customer.subscription.updated.legacy_downgrade.json",
        "customer.updated.json",
    )
    return {
        **{f"stripe_{kind}.json": sample(kind, f"evt_{kind}") for kind in kinds},
        **{f"stripe/{name}": _load(f"stripe/{name}") for name in built},
        "stripe_invoice_object.openapi_fixture.json": wrapped(
            "invoice", "invoice.finalized", "evt_openapi_invoice"
        ),
        "stripe_subscription_object.openapi_fixture.json": basil_subscription(
            "customer.subscription.created", "evt_openapi_subscription"
        ),
    }


def samples(vendor: str) -> dict[str, Any]:
    """The real sample payloads of a vendor's adapter tests, by file name."""
    if vendor == "stripe":
        return _stripe_samples()
    files = sorted((FIXTURES / vendor).glob("*.json"))
    return {f"{vendor}/{path.name}": orjson.loads(path.read_bytes()) for path in files}


@dataclass(frozen=True, slots=True)
class Sample:
    """A sample payload as JSON, the paths of the fields its adapter reads (the payload
    itself first), and every path it has."""

    name: str
    json: bytes
    read: tuple[Path_, ...]
    every: tuple[Path_, ...]

    @classmethod
    def of(cls, adapter: SourceAdapter, name: str, payload: Any) -> Sample:
        read: set[Path_] = set()
        recording = _recording(payload, (), read)
        wanted = adapter.references_needed(recording)
        for known in ({}, dict.fromkeys(wanted, "acme")):
            adapter.normalise(recording, SourceContext(now=NOW, known=known, all_accounts=("a",)))
        every = tuple(path for path, _ in _walk(payload))
        return cls(name, orjson.dumps(payload), ((), *sorted(read, key=str)), every)


class _Recording(dict[str, Any]):
    """A JSON object noting each field an adapter looks up, whether it is there or not.
    (Copying a `PayloadObject`, as `{**subscription}` does, looks up every field: a few more
    than those that matter.)"""

    def __init__(self, fields: Mapping[str, Any], here: Path_, read: set[Path_]) -> None:
        super().__init__(
            {key: _recording(value, (*here, key), read) for key, value in fields.items()}
        )
        self._here = here
        self._read = read

    def __getitem__(self, key: str) -> Any:
        self._read.add((*self._here, key))
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._read.add((*self._here, str(key)))
        return super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._read.add((*self._here, key))
        return super().get(key, default)


def _recording(value: Any, here: Path_, read: set[Path_]) -> Any:
    if isinstance(value, Mapping):
        return _Recording(value, here, read)
    if isinstance(value, list):
        return [_recording(item, (*here, index), read) for index, item in enumerate(value)]
    return value


def _walk(document: Any, here: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every value of a JSON document with its path, the document itself first."""
    yield here, document
    if isinstance(document, Mapping):
        for key, value in document.items():
            yield from _walk(value, (*here, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _walk(value, (*here, index))


def _set(document: Any, path: Path_, value: Any) -> Any:
    """`document` with `value` at `path` (`DELETED`: none; the payload deleted reads as
    null); unchanged when an earlier change took the place away."""
    if not path:
        return None if value is DELETED else value
    parent = document
    for part in path[:-1]:
        if not _has(parent, part):
            return document
        parent = parent[part]
    last = path[-1]
    if value is DELETED:
        if _has(parent, last):
            del parent[last]
    elif (isinstance(parent, dict) and isinstance(last, str)) or _has(parent, last):
        parent[last] = value
    return document


def _has(container: Any, part: str | int) -> bool:
    if isinstance(container, dict):
        return part in container
    return isinstance(container, list) and isinstance(part, int) and part < len(container)


def _where(path: Path_) -> str:
    return ".".join(map(str, path)) or "(payload)"


def sweep(vendor: str) -> Iterator[tuple[str, Any]]:
    """Each sample with one field it reads set to each of `KINDS` or deleted, and what
    changed (`stripe_invoice.paid.json: type = []`)."""
    for start in _SAMPLES[vendor]:
        for path in start.read:
            where = f"{start.name}: {_where(path)}"
            for value in KINDS:  # a copy each time: no payload shares a list with another
                yield (
                    f"{where} = {value!r}",
                    _set(orjson.loads(start.json), path, copy.deepcopy(value)),
                )
            if path:
                yield f"{where} deleted", _set(orjson.loads(start.json), path, DELETED)


@st.composite
def mutated(draw: st.DrawFn, vendor: str) -> Any:
    """One of the vendor's samples with one to three fields set to any JSON (their own
    values among them: `"type": "customer.updated"` in an invoice event) or deleted; four
    in five are fields the adapter reads, as elsewhere a change rarely matters."""
    start = draw(st.sampled_from(_SAMPLES[vendor]))
    values = st.one_of(st.sampled_from(_SAMPLE_SCALARS[vendor]), JSON_VALUES, st.just(DELETED))
    document = orjson.loads(start.json)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        anywhere = draw(st.integers(min_value=0, max_value=4)) == 0
        path = draw(st.sampled_from(start.every if anywhere else start.read))
        document = _set(document, path, draw(values))
    return document


def _scalars(documents: Iterator[Any]) -> tuple[Any, ...]:
    found: dict[bytes, Any] = {}
    for document in documents:
        for _, value in _walk(document):
            if not isinstance(value, Mapping | list):
                found.setdefault(orjson.dumps(value), value)
    return tuple(found.values())


_ADAPTERS = all_adapters()
_SAMPLES = {
    vendor: [Sample.of(_ADAPTERS[vendor], *named) for named in samples(vendor).items()]
    for vendor in VENDORS
}
_SAMPLE_SCALARS = {
    vendor: _scalars(orjson.loads(start.json) for start in _SAMPLES[vendor]) for vendor in VENDORS
}
