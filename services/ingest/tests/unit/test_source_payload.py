"""The shared payload reader: typed fields, and each problem at its full path."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.ingest.sources.base import PayloadError
from pulse.ingest.sources.payload import PayloadObject, as_text

TICKET: dict[str, Any] = {
    "ticket": {
        "id": 35436,
        "subject": "  Printer on fire  ",
        "requester": {"email": "", "name": "Ada"},
        "tags": [{"name": "urgent"}, "vip"],
        "created": 1763632800,
    }
}


def ticket(*, numbers_as_text: bool = False) -> PayloadObject:
    payload = PayloadObject.of(TICKET, numbers_as_text=numbers_as_text)
    return payload.required_object("ticket")


def problem(read: Any) -> tuple[str, str]:
    with pytest.raises(PayloadError) as raised:
        read()
    return raised.value.path, raised.value.message


def test_paths_join_from_the_payload_down() -> None:
    payload = PayloadObject.of(TICKET)
    requester = payload.required_object("ticket").required_object("requester")

    assert payload.at("ticket") == "ticket"
    assert requester.path == "ticket.requester"
    assert requester.at("email") == "ticket.requester.email"


def test_text_is_trimmed_and_a_blank_string_is_none() -> None:
    assert ticket().text("subject") == "Printer on fire"
    assert ticket().required_object("requester").text("email") is None
    assert ticket().text("missing") is None


def test_whole_numbers_read_as_text_only_when_the_vendor_sends_ids_as_either() -> None:
    assert ticket().text("id") is None
    assert ticket(numbers_as_text=True).text("id") == "35436"
    assert ticket(numbers_as_text=True).required_object("requester").text("name") == "Ada"
    assert as_text(True, numbers_as_text=True) is None


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("missing", "expected a non-empty string, got nothing"),
        ("id", "expected a non-empty string, got 35436"),
        ("requester", "expected a non-empty string, got an object"),
    ],
)
def test_a_required_text_names_the_field_and_what_was_there(field: str, message: str) -> None:
    assert problem(lambda: ticket().required_text(field)) == (f"ticket.{field}", message)


def test_optional_text_is_none_when_absent_and_a_payload_error_for_another_type() -> None:
    tags = PayloadObject.of({"id": " si_1 ", "blank": "", "none": None, "list": ["si_1"]})

    assert tags.optional_text("id") == "si_1"
    assert [tags.optional_text(field) for field in ("blank", "none", "missing")] == [None] * 3
    assert problem(lambda: tags.optional_text("list")) == (
        "list",
        "expected a string, got an array",
    )
    assert problem(lambda: ticket().optional_text("id")) == (
        "ticket.id",
        "expected a string, got 35436",
    )
    assert ticket(numbers_as_text=True).optional_text("id") == "35436"


@pytest.mark.parametrize(
    ("value", "got"),
    [(" month", "' month'"), (["month"], "an array"), ({"month": 1}, "an object"), (None, "null")],
)
def test_one_of_takes_a_choice_as_sent_and_names_the_choices_otherwise(
    value: object, got: str
) -> None:
    recurring = PayloadObject.of({"interval": "month", "other": value}, "price.recurring")
    choices = ("day", "week", "month", "year")

    assert recurring.one_of("interval", choices) == "month"
    assert problem(lambda: recurring.one_of("other", choices)) == (
        "price.recurring.other",
        f"expected one of day, week, month, year, got {got}",
    )
    assert problem(lambda: recurring.one_of("missing", choices))[1].endswith("got nothing")


def test_a_blank_nested_field_is_reported_at_its_full_path() -> None:
    requester = ticket().required_object("requester")

    assert problem(lambda: requester.required_text("email")) == (
        "ticket.requester.email",
        "expected a non-empty string, got ''",
    )


def test_the_payload_itself_must_be_an_object() -> None:
    assert problem(lambda: PayloadObject.of(["ticket"])) == ("", "expected an object, got array")
    assert problem(lambda: PayloadObject.of("x", expected="a Zendesk webhook")) == (
        "",
        "expected a Zendesk webhook, got string",
    )


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("missing", "expected an object, got nothing"),
        ("subject", "expected an object, got string"),
        ("tags", "expected an object, got array"),
    ],
)
def test_a_required_object_names_the_field_and_its_type(field: str, message: str) -> None:
    assert problem(lambda: ticket().required_object(field)) == (f"ticket.{field}", message)


def test_a_required_object_may_say_what_it_stands_for() -> None:
    assert problem(lambda: ticket().required_object("missing", expected="the requester")) == (
        "ticket.missing",
        "expected the requester, got nothing",
    )


def test_an_optional_object_is_empty_when_absent_or_null_and_keeps_its_path() -> None:
    absent = PayloadObject.of({"organization": None}).optional_object("organization")

    assert dict(absent) == {}
    assert absent.at("id") == "organization.id"
    assert problem(lambda: ticket().optional_object("created")) == (
        "ticket.created",
        "expected an object, got number",
    )


def test_object_or_none_reads_leniently() -> None:
    assert ticket().object_or_none("subject") is None
    requester = ticket().object_or_none("requester")
    assert requester is not None
    assert requester.path == "ticket.requester"


def test_objects_are_read_one_at_a_time_at_their_index() -> None:
    tags = ticket().objects("tags")

    first = next(tags)
    assert (first.path, first.text("name")) == ("ticket.tags.0", "urgent")
    assert problem(lambda: next(tags)) == ("ticket.tags.1", "expected an object, got string")
    assert list(ticket().objects("missing")) == []
    assert problem(lambda: list(ticket().objects("subject"))) == (
        "ticket.subject",
        "expected an array, got string",
    )


def test_nested_objects_inherit_how_numbers_read() -> None:
    payload = PayloadObject.of({"a": {"b": [{"id": 7}]}}, numbers_as_text=True)

    [item] = payload.required_object("a").objects("b")
    assert (item.path, item.text("id")) == ("a.b.0", "7")


def test_unix_times_are_whole_seconds_up_to_the_year_9999() -> None:
    assert ticket().unix_time("created") == 1763632800


@pytest.mark.parametrize(
    ("value", "got"),
    [("1763632800", "'1763632800'"), (253_402_300_800, "253402300800"), (True, "true")],
)
def test_a_bad_unix_time_names_the_field_and_what_was_there(value: object, got: str) -> None:
    times = PayloadObject.of({"created": value}, "data.object")

    assert problem(lambda: times.unix_time("created")) == (
        "data.object.created",
        f"expected a unix time in seconds, got {got}",
    )
    assert problem(lambda: times.unix_time("due_date"))[1].endswith("got nothing")


def test_first_string_is_the_first_non_blank_one_as_sent() -> None:
    times = PayloadObject.of({"started_at": " ", "created_at": 5, "updated_at": " 2026 "})

    assert times.first_string(["started_at", "created_at", "updated_at"]) == " 2026 "
    assert times.first_string(["started_at", "created_at"]) is None


def test_an_adapter_reports_its_own_problem_at_a_field_path() -> None:
    error = ticket().required_object("requester").error("email", "expected an address")

    assert (error.path, error.message) == ("ticket.requester.email", "expected an address")
    assert str(error) == "ticket.requester.email: expected an address"


def test_it_reads_as_the_mapping_it_wraps() -> None:
    requester = ticket().required_object("requester")

    assert dict(requester) == {"email": "", "name": "Ada"}
    assert requester.get("name") == "Ada"
    assert "email" in requester
    assert {**requester, "name": "Grace"} == {"email": "", "name": "Grace"}
