"""Typed HTTP operations: each route's request and responses declared once, as msgspec models.

The same declaration validates the input (before the handler runs, after authentication, so
a caller without a token still gets 401 first) and produces ``/openapi.json``
(:mod:`dispatch.http.openapi`): request bodies, query parameters, every response with its
status code, and the errors in the contract's shape.

How to type a route (a new one too)::

    # dispatch/http/models/<area>.py: the shapes, as msgspec Structs
    class RenameBody(Struct):
        name: Annotated[str, Meta(min_length=1, max_length=64)]

    class Team(Struct):
        id: str
        name: str

    # dispatch/http/<area>_routes.py
    @guard(Role.ADMIN)
    @op(body=RenameBody, ok=Team, errors=(404,))
    async def rename(request: Request, principal: Principal) -> Response:
        body = body_of(request, RenameBody)          # already validated
        ...
        return json(team)

- ``body``: the JSON body's model (``body_optional``: an empty body is ``{}``);
  ``query``: a model of the query parameters (strings converted: ``?limit=5`` is an int);
  ``ok`` and ``status``: the success model and code (``responses={...}`` for several);
  ``errors``: the 4xx the handler itself raises (400 for bad input, 401/403 for a guarded
  route and 503 are added by themselves); ``content``: other media types of a success answer
  (``{"text/csv": STRING}``); ``request``: a raw request body description (multipart).
- ``validate=False``: the models describe only (a protocol with its own error shape, such as
  Open311, whose errors are ``error_content``); ``paths``: schemas of path parameters;
  ``models``: models that raw descriptions (``request``, ``content``) refer to.
- A failure names the field: ``{"error":{"code":"invalid_field","field":"items[2].lat",...}}``
  (``missing_field`` for an absent one, ``invalid_type`` when the body is not an object,
  ``malformed_json``, ``empty_body``, 415 for another content type).
- ``tests/deploy/test_openapi_doc.py`` fails for a route without an operation, and the
  suite's schemathesis run checks every answer against what is declared here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from dispatch.errors import BadRequest, UnsupportedMedia

OP_ATTR = "__dispatch_op__"
T = TypeVar("T")
_AT = re.compile(r" - at `\$(.*)`$")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")
_NOT_OBJECT = "Expected `object`"

Endpoint = Callable[..., Awaitable[Response]]


@dataclass(frozen=True)
class Op:
    """What a route takes and answers (for validation and the OpenAPI description)."""

    body: type | None = None
    query: type | None = None
    responses: Mapping[int, type | None] = field(default_factory=lambda: {200: None})
    errors: tuple[int, ...] = ()
    body_optional: bool = False
    content: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    request: Mapping[str, Any] | None = None  # a raw requestBody (e.g. multipart)
    description: str = ""
    models: tuple[type, ...] = ()  # more models the raw descriptions refer to
    paths: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # path params
    validate: bool = True  # False: the handler answers bad input in a shape of its own
    error_content: Mapping[str, Mapping[str, Any]] | None = None  # not the contract's


def op(*, body: type | None = None, query: type | None = None, ok: type | None = None,
       status: int = 200, responses: Mapping[int, type | None] | None = None,
       errors: tuple[int, ...] = (), body_optional: bool = False,
       content: Mapping[str, Mapping[str, Any]] | None = None,
       request: Mapping[str, Any] | None = None, description: str = "",
       models: tuple[type, ...] = (), paths: Mapping[str, Mapping[str, Any]] | None = None,
       validate: bool = True,
       error_content: Mapping[str, Mapping[str, Any]] | None = None,
       ) -> Callable[[Endpoint], Endpoint]:
    """Declare a route's models; the body and query are validated before the handler."""
    spec = Op(body=body, query=query, responses=responses or {status: ok}, errors=errors,
              body_optional=body_optional, content=content or {}, request=request,
              description=description, models=models, paths=paths or {}, validate=validate,
              error_content=error_content)

    def wrap(handler: Endpoint) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(req: Request, *args: Any) -> Response:
            if not spec.validate:
                return await handler(req, *args)
            if spec.query is not None:
                req.state.query = decode_query(req, spec.query)
            if spec.body is not None:
                req.state.body = await decode_body(req, spec.body, optional=spec.body_optional)
            return await handler(req, *args)

        setattr(endpoint, OP_ATTR, spec)
        return endpoint

    return wrap


def op_of(endpoint: Any) -> Op | None:
    return getattr(endpoint, OP_ATTR, None)


def body_of(request: Request, model: type[T]) -> T:
    """The validated body of this request (declared with ``op(body=model)``)."""
    value = request.state.body
    if not isinstance(value, model):
        raise TypeError(f"the route declares no body of type {model.__name__}")
    return value


def query_of(request: Request, model: type[T]) -> T:
    value = request.state.query
    if not isinstance(value, model):
        raise TypeError(f"the route declares no query of type {model.__name__}")
    return value


async def decode_body(request: Request, model: type[T], *, optional: bool = False) -> T:
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip()
    raw = await request.body()
    if optional and not raw.strip():
        raw = b"{}"
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMedia(f"expected application/json, got {ctype}")
    if not raw:
        raise BadRequest("the request body is empty; expected a JSON object", code="empty_body")
    try:
        return msgspec.json.decode(raw, type=model)
    except msgspec.ValidationError as exc:
        raise bad_request(exc) from exc
    except msgspec.DecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}", code="malformed_json") from exc


def decode_query(request: Request, model: type[T]) -> T:
    values = {k: v for k, v in request.query_params.items() if v != ""}
    try:
        return msgspec.convert(values, type=model, strict=False)
    except msgspec.ValidationError as exc:
        raise bad_request(exc) from exc


def bad_request(exc: msgspec.ValidationError) -> BadRequest:
    """msgspec's message as the contract's error, naming the field."""
    text = str(exc)
    found = _AT.search(text)
    path = found.group(1).lstrip(".") if found else ""
    message = _AT.sub("", text)
    missing = _MISSING.match(message)
    if missing:
        name = f"{path}.{missing.group(1)}" if path else missing.group(1)
        return BadRequest(f"{name} is required", code="missing_field", field=name)
    if not path and message.startswith(_NOT_OBJECT):
        return BadRequest("expected a JSON object", code="invalid_type")
    detail = message.replace("`", "")
    return BadRequest(f"{path}: {detail}" if path else detail, code="invalid_field",
                      field=path or None)
