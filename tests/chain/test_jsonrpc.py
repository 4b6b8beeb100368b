"""JSON-RPC 2.0 envelopes on their own: parse errors, invalid requests, batches, notifications, codes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from sebrus.chain.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    Envelope,
    RpcError,
    answer,
    arguments,
    parse,
)


def _echo(params: Sequence[Any]) -> Any:
    (value,) = arguments(params, 1)
    return value


def _broken(_params: Sequence[Any]) -> Any:
    raise KeyError("a bug")


METHODS = {"echo": _echo, "broken": _broken}


def _missing(name: str) -> RpcError:
    return RpcError(METHOD_NOT_FOUND, f"the method {name} does not exist/is not available")


def _serve(body: Any, max_batch: int = 10) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    envelope = parse(raw, max_batch=max_batch)
    if not isinstance(envelope, Envelope):
        return envelope
    return answer(envelope, METHODS, _missing)


def _call(method: str, params: Any = None, request_id: Any = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        body["params"] = params
    return body


def test_a_call_answers_its_result_under_its_id() -> None:
    assert _serve(_call("echo", ["hi"], "abc")) == {"jsonrpc": "2.0", "id": "abc", "result": "hi"}


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b""])
def test_a_body_that_is_not_json_is_a_parse_error_with_a_null_id(body: bytes) -> None:
    answered = _serve(body)
    assert answered["id"] is None and answered["error"]["code"] == PARSE_ERROR
    assert "not JSON" in answered["error"]["message"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"id": 1, "method": "echo"}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "1.0", "id": 1, "method": "echo"}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "2.0", "id": 1}, '"method" must be a non-empty string'),
        ({"jsonrpc": "2.0", "id": 1, "method": 7}, '"method" must be a non-empty string'),
        ({"jsonrpc": "2.0", "id": [1], "method": "echo"}, '"id" must be a string, a number or null'),
        ({"jsonrpc": "2.0", "id": True, "method": "echo"}, '"id" must be a string, a number or null'),
        ({"jsonrpc": "2.0", "id": 1, "method": "echo", "params": "x"}, '"params" must be an array'),
        (5, "each request is a JSON object"),
    ],
)
def test_a_malformed_request_is_invalid_and_says_why(body: Any, says: str) -> None:
    answered = _serve(body)
    assert answered["error"]["code"] == INVALID_REQUEST and says in answered["error"]["message"]
    assert answered["id"] is None


def test_an_unknown_method_is_32601_naming_it() -> None:
    answered = _serve(_call("eth_mine", []))
    assert answered["error"] == {
        "code": METHOD_NOT_FOUND,
        "message": "the method eth_mine does not exist/is not available",
    }
    assert answered["id"] == 1


@pytest.mark.parametrize(
    ("params", "says"),
    [([], "missing value for required argument 0"), (["a", "b"], "too many arguments, want at most 1")],
)
def test_the_wrong_number_of_params_is_32602(params: list[Any], says: str) -> None:
    answered = _serve(_call("echo", params))
    assert answered["error"]["code"] == INVALID_PARAMS and answered["error"]["message"] == says


def test_named_params_are_refused_as_invalid_params() -> None:
    answered = _serve(_call("echo", {"value": 1}))
    assert answered["error"]["code"] == INVALID_PARAMS and "as an array" in answered["error"]["message"]


def test_a_bug_in_a_method_is_an_internal_error_that_leaks_nothing() -> None:
    answered = _serve(_call("broken", []))
    assert answered["error"] == {"code": INTERNAL_ERROR, "message": "internal error while serving broken"}


def test_a_batch_answers_each_call_in_order_with_invalid_entries_in_place() -> None:
    answered = _serve([_call("echo", [1], 1), "junk", _call("nope", [], 3), _call("echo", [4], 4)])
    assert [a["id"] for a in answered] == [1, None, 3, 4]
    assert answered[0]["result"] == 1 and answered[3]["result"] == 4
    assert answered[1]["error"]["code"] == INVALID_REQUEST
    assert answered[2]["error"]["code"] == METHOD_NOT_FOUND


def test_notifications_run_but_are_not_answered() -> None:
    notification = {"jsonrpc": "2.0", "method": "echo", "params": [1]}
    assert _serve(notification) is None
    assert _serve([notification, notification]) is None
    assert _serve([notification, _call("echo", [2], 9)]) == [{"jsonrpc": "2.0", "id": 9, "result": 2}]


def test_an_empty_batch_is_invalid() -> None:
    answered = _serve([])
    assert answered["error"]["code"] == INVALID_REQUEST and "empty batch" in answered["error"]["message"]


def test_an_oversize_batch_is_refused_before_anything_in_it_runs() -> None:
    ran: list[int] = []

    def record(params: Sequence[Any]) -> int:
        ran.append(1)
        return 1

    envelope = parse(json.dumps([_call("record", [], n) for n in range(11)]).encode(), max_batch=10)
    assert isinstance(envelope, dict)
    assert envelope["error"]["code"] == LIMIT_EXCEEDED
    assert envelope["error"]["message"] == "batch too large: 11 requests, at most 10 in one batch"
    assert ran == []
    fits = parse(json.dumps([_call("record", [], n) for n in range(10)]).encode(), max_batch=10)
    assert isinstance(fits, Envelope) and fits.calls == 10
    assert len(answer(fits, {"record": record}, _missing) or []) == 10 and len(ran) == 10
