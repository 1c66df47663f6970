"""The sentence an alert shows: what happened, with its numbers and dates.

`reason(rule, account, verdict)` gives e.g.
"acme: 3 phone calls to support in 14 days (2, 9 and 13 Nov)", or over health scores
"acme: health score fell 24 points in 30 days (78 on 2 Nov to 54 on 28 Nov)". Dates are
UTC days; a day with several events is named once, and days of one month share the
month's name. Scores show their one decimal only when it is not 0.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import groupby

from pulse.alerts.rules.definitions import (
    AbsenceRule,
    BandRule,
    MatchRule,
    RenewalRule,
    Rule,
    ScoreBelowRule,
    ScoreDropRule,
    SumRule,
)
from pulse.alerts.rules.durations import describe_duration
from pulse.alerts.rules.score_points import exact_score
from pulse.alerts.rules.verdict import Verdict


def reason(rule: Rule, account: str, verdict: Verdict) -> str:
    """Why the rule holds (or not) for `account`, in one sentence."""
    days = [e.occurred_at.date() for e in verdict.evidence]
    if isinstance(rule, RenewalRule):
        return f"{account}: {_renewal(verdict)}"
    if isinstance(rule, BandRule | ScoreBelowRule | ScoreDropRule):
        if verdict.band is None:
            return f"{account}: no health score yet"
        return f"{account}: {_score_reason(rule, verdict)}"
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


def _score_reason(rule: BandRule | ScoreBelowRule | ScoreDropRule, verdict: Verdict) -> str:
    latest = verdict.evidence[-1]
    score, on = _score(latest.value), _day(latest.occurred_at)
    if isinstance(rule, BandRule):
        if not verdict.holds:
            return f"health band {verdict.band} (score {score})"
        was = f", was {verdict.previous_band}" if verdict.previous_band else ""
        since = _day(verdict.evidence[0].occurred_at)
        return f"health band {verdict.band} since {since} (score {score}{was})"
    if isinstance(rule, ScoreBelowRule):
        below = _score(exact_score(rule.below))
        return f"health score {score} {'below' if verdict.holds else 'not below'} {below} ({on})"
    within = describe_duration(rule.within)
    if len(verdict.evidence) == 1:
        return f"health score {score} has not fallen in {within} ({on})"
    highest = verdict.evidence[0]
    fall = _score(verdict.total) + (" point" if verdict.total == 1 else " points")
    start = f"{_score(highest.value)} on {_day(highest.occurred_at)}"
    return f"health score fell {fall} in {within} ({start} to {score} on {on})"


def _renewal(verdict: Verdict) -> str:
    health = f"health {verdict.band}" if verdict.band else "no health score yet"
    if verdict.renews_at is None:
        return f"no renewal date known, {health}"
    left = (verdict.renews_at.date() - verdict.at.date()).days
    on = _day(verdict.renews_at)
    if verdict.at >= verdict.renews_at:
        return f"renewal on {on} has passed, {health}"
    return f"renews in {describe_duration(timedelta(days=left))} ({on}) with {health}"


def _day(moment: datetime) -> str:
    return spell_days([moment.date()])


def _score(value: Fraction) -> str:
    return f"{float(value):.1f}".removesuffix(".0")


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
