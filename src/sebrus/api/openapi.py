"""What the OpenAPI document says about answers that come from the shared layers, not from the routers.

Authentication and the body cap refuse requests before a handler runs, so the routers cannot be relied
on to declare those answers; they are derived here from what each route actually depends on:

- a route that needs a login (``CurrentUser``, ``Uploader``, ``CurrentAuth``) documents 401;
- a route that only looks at who is asking (``OptionalUser``) lists "no credentials" among its security
  requirements (``{}``), since anonymous requests succeed there;
- a route with a body documents 413 with its allowance (``http/body_allowances.py``);
- an integer path parameter (an id) without bounds of its own states the range JSON keeps exact,
  2^53 - 1, which every id is far below: past it the id names nothing (404), past 64 bits the database
  cannot bind it (422, ``http/errors.py``). (A 64-bit bound would be exact, but generators that draw
  near 2^63 through floats overshoot it.)

Schemathesis (``tests/api/test_schemathesis.py``) checks the document against the running server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from sebrus.http import deps
from sebrus.http.body_allowances import allowance_for, describe_bytes

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}
JSON_SAFE_INTEGER = {"minimum": -(2**53 - 1), "maximum": 2**53 - 1}
_AUTHENTICATING = {deps.get_optional_auth, deps.get_uploader}  # whoever asks, credentials are read
_OPTIONAL = deps.get_optional_user  # ...and the answer does not depend on having any


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def _bound_path_integers(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "path":  # a query's offset past 2^53 is answered (an empty page)
            continue
        schema = parameter.get("schema", {})
        for option in schema.get("anyOf", [schema]):  # an optional parameter is anyOf [integer, null]
            if option.get("type") == "integer":
                for key, value in JSON_SAFE_INTEGER.items():
                    if key not in option and f"exclusive{key.title()}" not in option:
                        option[key] = value


def _describe(operation: dict[str, Any], route: RouteContext, method: str) -> None:
    _bound_path_integers(operation)
    calls = set(_calls(route.dependant))
    responses = operation.setdefault("responses", {})
    if calls & _AUTHENTICATING:
        if _OPTIONAL in calls and deps.get_auth not in calls:
            operation["security"] = [{}, *operation.get("security", [])]
        else:
            responses.setdefault("401", _error("Not logged in, or the bearer token is invalid or expired."))
    if "requestBody" in operation:
        limit = describe_bytes(allowance_for(method, str(route.path_format)))
        responses.setdefault("413", _error(f"The request body is over {limit}; refused as it streams in."))


def install_openapi(app: FastAPI) -> None:
    """Extend the document FastAPI builds (on first use, when every router is registered)."""
    build = app.openapi
    described: list[int] = []  # the id of the document last extended (FastAPI rebuilds it if routes change)

    def openapi() -> dict[str, Any]:
        document = build()
        if described != [id(document)]:
            for route in iter_route_contexts(app.routes):  # included routers' routes too
                if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                    continue
                item = document["paths"].get(route.path_format, {})
                for method in route.methods or ():
                    if method.lower() in item:
                        _describe(item[method.lower()], route, method)
            described[:] = [id(document)]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
