"""Reading the YAML documents people write (scoring models, alert rules, playbooks):
parsed safely, bounded in size, and every problem named by its path.

Each document kind keeps its own error type and messages; what they share is here: the
parse with its limit on values (YAML aliases can expand a small file into a huge one) and
paths such as `rules[2].where.all[0].field`.
"""

from __future__ import annotations

import yaml
from pydantic_core import ErrorDetails

#: (path, message) per problem, the path empty for the document as a whole.
Problems = list[tuple[str, str]]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: about 10x faster


class UnreadableDocument(ValueError):
    """Text that is not a YAML document of a usable size; the message says why."""


def read_yaml(text: str, max_values: int) -> object:
    """The YAML document in `text`; `UnreadableDocument` if it is not valid YAML or holds
    more than `max_values` values (each alias counted again)."""
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise UnreadableDocument(f"not valid YAML: {_yaml_problem(error)}") from error
    if _over_values(data, max_values):
        raise UnreadableDocument(
            f"expected at most {max_values:,} values (each alias counted again)"
        )
    return data


def dotted_path(loc: tuple[int | str, ...]) -> str:
    """`("rules", 2, "where")` → `rules[2].where`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def plain_message(detail: ErrorDetails) -> str:
    """Pydantic's message for a problem, in the words the documents' readers expect."""
    if detail["type"] == "extra_forbidden":
        return "unknown field"
    if detail["type"] == "missing":
        return "field required"
    return detail["msg"].removeprefix("Value error, ")


def _over_values(data: object, limit: int) -> bool:
    """Whether `data` holds more than `limit` values, aliases expanded; stops once past."""
    left = limit
    pending = [data]
    while pending:
        left -= 1
        if left < 0:
            return True
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is None:
        return str(problem)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
