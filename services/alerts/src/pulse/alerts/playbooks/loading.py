"""Reading playbooks: YAML (a file) or JSON (one playbook over HTTP) in, validated
definitions out, or every problem by path.

`load_playbooks(text)` and `parse_playbook(data)` raise `PlaybookError` listing (path,
message) per problem, e.g. `playbooks[1].tasks[0].due: expected a duration such as 14d,
12h, 30m or 0s, got '2 days'`. `default_playbooks()` is the set shipped with Pulse.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from importlib import resources

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pulse.alerts.playbooks.definitions import OWNER_ROLES, Playbook, PlaybookSet
from pulse.common.documents import UnreadableDocument, dotted_path, read_yaml

Problems = list[tuple[str, str]]
DEFAULT_PLAYBOOKS_RESOURCE = "default_playbooks.yaml"
#: Most values a playbooks file may hold, aliases counted again (as for rules files).
MAX_YAML_VALUES = 100_000


class PlaybookError(Exception):
    """Playbooks that cannot be used; `errors` lists (path, message) per problem."""

    def __init__(self, errors: Problems) -> None:
        super().__init__("; ".join(f"{path or '(top)'}: {message}" for path, message in errors))
        self.errors = errors


def load_playbooks(text: str) -> PlaybookSet:
    """Parse and validate a YAML playbooks file; raise `PlaybookError` with every problem."""
    try:
        data = read_yaml(text, MAX_YAML_VALUES)
    except UnreadableDocument as error:
        raise PlaybookError([("", str(error))]) from error
    if not isinstance(data, dict):
        got = "nothing" if data is None else type(data).__name__
        raise PlaybookError([("", f"expected a mapping with version and playbooks, got {got}")])
    try:
        playbook_set = PlaybookSet.model_validate(data)
    except ValidationError as error:
        raise PlaybookError([_problem(detail) for detail in error.errors()]) from error
    problems = playbook_set_problems(playbook_set)
    if problems:
        raise PlaybookError(problems)
    return playbook_set


def parse_playbook(data: object) -> Playbook:
    """Validate one playbook (decoded JSON); raise `PlaybookError` with every problem."""
    if not isinstance(data, dict):
        raise PlaybookError([("", f"expected a playbook object, got {_json_type(data)}")])
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as error:
        raise PlaybookError([_problem(detail) for detail in error.errors()]) from error
    problems = playbook_problems(playbook)
    if problems:
        raise PlaybookError(problems)
    return playbook


def default_playbooks_text() -> str:
    """The YAML of the playbooks shipped with Pulse (package data)."""
    return resources.files(__package__).joinpath(DEFAULT_PLAYBOOKS_RESOURCE).read_text("utf-8")


@lru_cache(maxsize=1)
def default_playbooks() -> PlaybookSet:
    """The playbooks shipped with Pulse, validated."""
    return load_playbooks(default_playbooks_text())


def playbook_set_problems(playbook_set: PlaybookSet) -> Problems:
    """Problems the field types alone cannot see, across a file: duplicate ids, and each
    playbook's own."""
    problems: Problems = []
    first_of: dict[str, int] = {}
    for i, playbook in enumerate(playbook_set.playbooks):
        path = f"playbooks[{i}]"
        if playbook.id in first_of:
            also = first_of[playbook.id]
            problems.append(
                (f"{path}.id", f"duplicate playbook id {playbook.id!r} (also playbooks[{also}])")
            )
        first_of.setdefault(playbook.id, i)
        problems += [(f"{path}.{p}", m) for p, m in playbook_problems(playbook)]
    return problems


def playbook_problems(playbook: Playbook) -> Problems:
    """Problems of one playbook the field types alone cannot see: a task due at once, two
    tasks with one title (people tell tasks apart by title)."""
    problems: Problems = []
    first_of: dict[str, int] = {}
    for j, task in enumerate(playbook.tasks):
        path = f"tasks[{j}]"
        if task.due <= timedelta(0):
            problems.append((f"{path}.due", "must be longer than 0s"))
        if task.title in first_of:
            also = first_of[task.title]
            problems.append((f"{path}.title", f"duplicate task title (also tasks[{also}])"))
        first_of.setdefault(task.title, j)
    return problems


def _problem(detail: ErrorDetails) -> tuple[str, str]:
    path = dotted_path(detail["loc"])
    kind = detail["type"]
    if kind == "extra_forbidden":
        return path, "unknown field"
    if kind == "missing":
        return path, "field required"
    if kind == "literal_error" and detail["loc"][-1] == "owner_role":
        return path, f"unknown role {detail['input']!r}; roles are {', '.join(OWNER_ROLES)}"
    if kind == "too_short" and detail["loc"][-1] in ("tasks", "playbooks"):
        return path, f"expected at least one of {detail['loc'][-1]}"
    return path, detail["msg"].removeprefix("Value error, ")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
