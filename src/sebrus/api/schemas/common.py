"""Shapes shared by every resource."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ApiModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class StatusOut(ApiModel):
    status: str


class Answer(BaseModel):
    """A response body built by a serialiser in ``api/schemas``: the handler builds the dict, this checks it.

    ``extra="forbid"``: a key the model does not declare fails the request (500) instead of vanishing
    from the answer, so the model and the JSON clients read cannot drift apart.
    """

    model_config = ConfigDict(extra="forbid")


class StatusAnswer(Answer):
    status: str


class PageAnswer(StatusAnswer):
    total: int
    limit: int
    offset: int


class ErrorOut(ApiModel):
    status: str
    detail: object
    error: str | None = Field(
        default=None,
        description="The contract refusal's name (`DepositRequired`) for scripts; `status` says it in words.",
    )


class PageInfo(ApiModel):
    total: int
    limit: int
    offset: int


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (400, "Bad input; `status` names the problem."),
        (401, "Not logged in."),
        (403, "Logged in, but not allowed (or missing CSRF token)."),
        (404, "Not found."),
        (409, "Already exists."),
        (422, "Request does not match the schema; `status` names the field."),
    )
}
