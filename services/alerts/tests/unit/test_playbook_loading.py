"""Playbooks files and single playbooks: they load, and every problem names its path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pulse.alerts.playbooks.loading import PlaybookError, load_playbooks, parse_playbook

CALL = """
version: "1"
playbooks:
  - id: call_them
    name: Call them
    tasks:
      - {title: Call the sponsor, due: 2d, owner_role: csm}
      - {title: Executive review, due: 14d, owner_role: executive_sponsor, description: Why}
"""


def errors_of_file(text: str) -> list[tuple[str, str]]:
    with pytest.raises(PlaybookError) as raised:
        load_playbooks(text)
    return raised.value.errors


def errors_of_one(data: object) -> list[tuple[str, str]]:
    with pytest.raises(PlaybookError) as raised:
        parse_playbook(data)
    return raised.value.errors


def one(**changes: Any) -> dict[str, Any]:
    """A valid single playbook as decoded JSON, with `changes` applied."""
    playbook: dict[str, Any] = {
        "id": "call_them",
        "name": "Call them",
        "tasks": [{"title": "Call the sponsor", "due": "2d", "owner_role": "csm"}],
    }
    return playbook | changes


def test_a_playbook_loads_with_its_tasks_in_order() -> None:
    playbook = load_playbooks(CALL).playbooks[0]
    assert (playbook.id, playbook.name, playbook.description) == ("call_them", "Call them", None)
    assert [(t.title, t.due, t.owner_role) for t in playbook.tasks] == [
        ("Call the sponsor", timedelta(days=2), "csm"),
        ("Executive review", timedelta(days=14), "executive_sponsor"),
    ]
    assert playbook.tasks[1].description == "Why"


def test_duplicate_playbook_ids_name_both_places() -> None:
    text = CALL + CALL.split("playbooks:\n", 1)[1]
    assert errors_of_file(text) == [
        ("playbooks[1].id", "duplicate playbook id 'call_them' (also playbooks[0])")
    ]


def test_an_empty_task_list_is_refused() -> None:
    assert errors_of_one(one(tasks=[])) == [("tasks", "expected at least one of tasks")]
    assert errors_of_file('version: "1"\nplaybooks: []\n') == [
        ("playbooks", "expected at least one of playbooks")
    ]


def test_bad_durations_roles_and_fields_are_each_reported_with_their_path() -> None:
    tasks = [
        {"title": "A", "due": "2 days", "owner_role": "csm"},
        {"title": "B", "due": "1d", "owner_role": "janitor"},
        {"title": "C", "due": "1d", "owner_role": "csm", "owner": "dana"},
        {"due": "1d", "owner_role": "csm"},
    ]
    assert errors_of_one(one(tasks=tasks)) == [
        ("tasks[0].due", "expected a duration such as 14d, 12h, 30m or 0s, got '2 days'"),
        (
            "tasks[1].owner_role",
            "unknown role 'janitor'; roles are csm, account_executive, support_lead, "
            "solutions_engineer, cs_manager, executive_sponsor, finance",
        ),
        ("tasks[2].owner", "unknown field"),
        ("tasks[3].title", "field required"),
    ]


def test_a_task_due_at_once_and_repeated_titles_are_refused() -> None:
    tasks = [
        {"title": "Call", "due": "0s", "owner_role": "csm"},
        {"title": "Call", "due": "1d", "owner_role": "csm"},
    ]
    assert errors_of_one(one(tasks=tasks)) == [
        ("tasks[0].due", "must be longer than 0s"),
        ("tasks[1].title", "duplicate task title (also tasks[0])"),
    ]


def test_file_level_checks_carry_the_playbook_path() -> None:
    text = CALL.replace("due: 14d", "due: 0m")
    assert errors_of_file(text) == [("playbooks[0].tasks[1].due", "must be longer than 0s")]


def test_ids_are_lower_case_words() -> None:
    assert errors_of_one(one(id="Call-Them")) == [
        ("id", "String should match pattern '^[a-z][a-z0-9_]*$'")
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a playbook object, got an array"),
        (None, "expected a playbook object, got null"),
        ("x", "expected a playbook object, got a string"),
    ],
)
def test_a_single_playbook_must_be_an_object(data: object, message: str) -> None:
    assert errors_of_one(data) == [("", message)]


def test_files_that_are_not_playbook_mappings_say_what_arrived() -> None:
    assert errors_of_file("") == [
        ("", "expected a mapping with version and playbooks, got nothing")
    ]
    assert errors_of_file("- a\n") == [
        ("", "expected a mapping with version and playbooks, got list")
    ]
    [(path, message)] = errors_of_file("playbooks: [\n")
    assert path == ""
    assert message.startswith("not valid YAML: ")
    assert "line 2" in message


def test_an_alias_bomb_is_refused_before_validation() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for name, previous in zip("bcdef", "abcde", strict=True):
        bomb += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    assert errors_of_file(bomb) == [
        ("", "expected at most 100,000 values (each alias counted again)")
    ]


def test_the_error_message_lists_every_problem() -> None:
    with pytest.raises(PlaybookError, match=r"^id: field required; name: field required$"):
        parse_playbook({"tasks": [{"title": "A", "due": "1d", "owner_role": "csm"}]})
