"""Shapes shared by every resource."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class StatusOut(ApiModel):
    status: str


class ErrorOut(ApiModel):
    status: str
    detail: object


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
