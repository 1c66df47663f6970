"""The services' HTTP APIs, as the demo reads them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import TracebackType
from typing import Any, Self

import httpx


class PulseClient:
    """One API key for the four services; every call raises on a non-2xx answer."""

    def __init__(self, urls: Mapping[str, str], api_key: str) -> None:
        self._urls = urls
        self._http = httpx.Client(headers={"Authorization": f"Bearer {api_key}"}, timeout=30.0)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._http.close()

    def _get(self, service: str, path: str, **params: str | int) -> Any:
        answer = self._http.get(f"{self._urls[service]}{path}", params=params)
        answer.raise_for_status()
        return answer.json()

    def subscribe(self, url: str, event_types: list[str]) -> tuple[str, str]:
        """A webhook subscription of `url`: its id and signing secret."""
        body = {"url": url, "event_types": event_types}
        answer = self._http.post(f"{self._urls['alerts']}/v1/webhooks", json=body)
        answer.raise_for_status()
        created = answer.json()
        return str(created["id"]), str(created["secret"])

    def unsubscribe(self, subscription_id: str) -> None:
        answer = self._http.delete(f"{self._urls['alerts']}/v1/webhooks/{subscription_id}")
        answer.raise_for_status()

    def accounts(self) -> list[dict[str, Any]]:
        """Every scored account (health), page by page."""
        accounts: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 500, "sort": "account_id"}
            if cursor:
                params["cursor"] = cursor
            page = self._get("health", "/v1/accounts", **params)
            accounts.extend(page["accounts"])
            cursor = page.get("next_cursor")
            if not cursor:
                return accounts

    def renewals(self, within_days: int) -> dict[str, Any]:
        """`/v1/renewals`: renewals from today to `within_days` ahead, with their forecast."""
        body: dict[str, Any] = self._get("renewals", "/v1/renewals", within_days=within_days)
        return body

    def retention(self, start: date, end: date) -> dict[str, Any]:
        """`/v1/retention`: the cohort of `start` measured at `end`."""
        body: dict[str, Any] = self._get(
            "renewals", "/v1/retention", **{"from": start.isoformat(), "to": end.isoformat()}
        )
        return body
