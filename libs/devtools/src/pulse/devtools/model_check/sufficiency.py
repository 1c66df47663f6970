"""Whether there are enough outcomes to conclude anything.

With fewer than 30 churns (or 30 kept accounts) an AUC's interval spans most of 0-1 and
a decile holds a handful of accounts: a number would look precise and mean nothing, so
the checks answer with this sentence instead.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_CHURNED = 30
MIN_KEPT = 30


@dataclass(frozen=True, slots=True)
class Sufficiency:
    """How many outcomes of each kind there are, and whether that is enough."""

    churned: int
    kept: int

    @property
    def enough(self) -> bool:
        """At least `MIN_CHURNED` churns and `MIN_KEPT` kept accounts."""
        return self.churned >= MIN_CHURNED and self.kept >= MIN_KEPT

    @property
    def verdict(self) -> str | None:
        """The "too few outcomes" sentence, None when there are enough."""
        if self.enough:
            return None
        return (
            f"too few outcomes to conclude: {self.churned} churned and {self.kept} kept "
            f"(at least {MIN_CHURNED} churned and {MIN_KEPT} kept are needed); widen "
            "--from/--to or wait for more renewals"
        )


def sufficiency_of(churned: list[bool]) -> Sufficiency:
    """Count churns and kept accounts."""
    count = sum(churned)
    return Sufficiency(count, len(churned) - count)
