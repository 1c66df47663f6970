"""What several routes take alike: the account id in the path, checked by the rules of
events' `account_id`, and the bands."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from pydantic import TypeAdapter, ValidationError

from pulse.common.errors import PulseError
from pulse.common.events.errors import errors_from_pydantic
from pulse.common.events.fields import AccountId as EventAccountId


class InvalidAccountIdError(PulseError):
    """An account id in the path that events could not carry (422)."""

    status_code = 422
    code = "invalid_account_id"


_ACCOUNT_ID = TypeAdapter(EventAccountId)


async def _account_id(
    account_id: Annotated[str, Path(description="1 to 128 characters of A-Z a-z 0-9 . _ : @ -")],
) -> str:
    """The path's account id, checked by the rules of events' `account_id`: an account the
    API names can be one events reach, and one health's commands can carry."""
    try:
        return _ACCOUNT_ID.validate_python(account_id)
    except ValidationError as error:
        details = [
            {"path": "path.account_id", "message": p.message} for p in errors_from_pydantic(error)
        ]
        raise InvalidAccountIdError(
            f"invalid account id in the path: {details[0]['message']}", details=details
        ) from error


AccountId = Annotated[str, Depends(_account_id)]
