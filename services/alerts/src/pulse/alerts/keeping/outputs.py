"""What follows from alert changes, in the transaction that made them: metrics now, and
(wired by the service) playbook tasks and webhook messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts import metrics
from pulse.alerts.keeping.keeper import Written
from pulse.alerts.rules.transitions import Action


class AlertOutputs:
    """Counts alert changes by rule and severity."""

    async def alerts_changed(
        self, session: AsyncSession, written: Sequence[Written], now: datetime
    ) -> None:
        """Count what the engine opened, updated and resolved."""
        for item in written:
            rule, severity = item.row["rule_id"], item.row["severity"]
            if item.change.action is Action.OPEN:
                metrics.ALERTS_OPENED.labels(rule, severity).inc()
            elif item.change.action is Action.UPDATE:
                metrics.ALERTS_UPDATED.labels(rule, severity).inc()
            else:
                metrics.ALERTS_RESOLVED.labels(rule, severity, "cleared").inc()

    async def alerts_moved_by_hand(
        self, session: AsyncSession, rows: Sequence[dict[str, Any]], now: datetime
    ) -> None:
        """Count alerts resolved by hand or because their rule was removed."""
        for row in rows:
            if row["state"] == "resolved":
                metrics.ALERTS_RESOLVED.labels(
                    row["rule_id"], row["severity"], row["resolution"]
                ).inc()
