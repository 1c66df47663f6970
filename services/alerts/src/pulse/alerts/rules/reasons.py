"""The sentence an alert shows: what happened, with its numbers and dates.

`reason(rule, account, verdict)` gives e.g.
"acme: 3 phone calls to support in 14 days (2, 9 and 13 Nov)". Dates are UTC days; a day
with several events is named once, and days of one month share the month's name.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from itertools import groupby

from pulse.alerts.rules.definitions import AbsenceRule, MatchRule, Rule, SumRule
from pulse.alerts.rules.durations import describe_duration
from pulse.alerts.rules.verdict import Verdict


def reason(rule: Rule, account: str, verdict: Verdict) -> str:
    """Why the rule holds (or not) for `account`, in one sentence."""
    days = [e.occurred_at.date() for e in verdict.evidence]
    if isinstance(rule, AbsenceRule):
        return _silence(rule, account, verdict)
    if isinstance(rule, MatchRule):
        if not days:
            return f"{account}: no {rule.noun}"
        return f"{account}: {rule.noun} on {spell_days(days[-1:])}"
    amount = _number(verdict.total) if isinstance(rule, SumRule) else str(verdict.count)
    listed = spell_days(days)
    if verdict.count > len(verdict.evidence):
        listed = f"latest {listed}"
    when = f" ({listed})" if days else ""
    return f"{account}: {amount} {rule.noun} in {describe_duration(rule.window)}{when}"


def spell_days(days: list[date]) -> str:
    """`2, 9 and 13 Nov`; `28 Oct, 2 and 9 Nov`; years shown when the days span two."""
    distinct = sorted(set(days))
    with_year = len({d.year for d in distinct}) > 1
    groups = []
    for (year, _), in_month in groupby(distinct, key=lambda d: (d.year, d.month)):
        month = list(in_month)
        label = month[0].strftime("%b") + (f" {year}" if with_year else "")
        groups.append(f"{_and([str(d.day) for d in month])} {label}")
    return ", ".join(groups)


def _silence(rule: AbsenceRule, account: str, verdict: Verdict) -> str:
    since = verdict.silent_since or verdict.at
    silent = describe_duration(_whole_units(verdict.at - since))
    if verdict.evidence:
        last = f"last on {spell_days([verdict.evidence[-1].occurred_at.date()])}"
    else:
        last = f"none since watching began on {spell_days([since.date()])}"
    return f"{account}: no {rule.noun} for {silent} ({last})"


def _whole_units(span: timedelta) -> timedelta:
    # "16 days", not "16 days 3 hours 12 minutes": the dates say the rest.
    if span >= timedelta(days=1):
        return timedelta(days=span.days)
    return timedelta(hours=span // timedelta(hours=1))


def _number(value: Fraction) -> str:
    if value.denominator == 1:
        return f"{value.numerator:,}"
    return f"{float(value):,.2f}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
