"""Open311 GeoReport v2 under ``/open311/v2/``, in JSON and XML, for citizens' systems.

Every path ends in ``.json`` or ``.xml``; every error is the spec's array
``[{"code": status, "description": text}]`` (``<errors><error>`` in XML) with the
spec's status codes: 400 bad input, 403 a bad api_key, 404 an unknown service,
request or token (and 409 / 429 for a rating given twice or a key past its rate).
Reading is open to anyone; filing needs an API key (``dispatch open311 keys add``).
Two additions beside the spec: ``POST tokens/{token}/rating`` (the citizen rates the
result once, 党群评议) and ``GET media/{id}`` (a request's photo).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import public
from dispatch.errors import BadRequest, DispatchError, NotFound
from dispatch.http.context import container, deployment
from dispatch.http.models.media import IMAGE
from dispatch.http.models.open311 import (
    ERRORS_SCHEMA,
    FORM_BODY,
    RATING_BODY,
    XML,
    CitizenConfig,
    CitizenQuery,
    Discovery,
    Service,
    ServiceDefinition,
    ServiceRequest,
    array_of,
)
from dispatch.http.responses import ORJSONResponse
from dispatch.http.typed import op
from dispatch.http.web_routes import NO_CACHE, WEB_DIR
from dispatch.open311 import views, xml
from dispatch.open311.forms import parse_request
from dispatch.open311.service import Filters
from dispatch.open311.streets import (
    JURISDICTION,
    choose,
    choose_by_key,
    choose_by_media,
    choose_by_token,
    street_list,
)
from dispatch.open311.views import FORMATS, SPEC_URL, lang_of, parse_w3c, w3c

PREFIX = "/open311/v2"
#: How every GeoReport operation is described: the path's format, the spec's errors (in JSON
#: or XML), its own validation (an error in the spec's shape).
SPEC: dict[str, Any] = {"validate": False, "paths": {"fmt": {"enum": ["json", "xml"]}},
                        "error_content": {"application/json": {"schema": ERRORS_SCHEMA}, **XML}}
HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}


def SPEC_JSON(model: type) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}},
            **XML}
JSON_FORMAT, XML_FORMAT = "json", "xml"
XML_TYPE = "text/xml; charset=utf-8"
#: Domain error codes the spec answers with 404.
NOT_FOUND_CODES = frozenset({"unknown_service"})
MAX_SCORE = 5
MAX_NOTE = 2000
MEDIA_CACHE = "public, max-age=86400"

Result = tuple[str, Any]  # (XML root element, body)
Handler = Callable[[Request], Awaitable[Result]]


def base_url(request: Request) -> str:
    """The server's address for people: the configured public URL, else the request's."""
    configured = container(request).settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def _render(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    if fmt == XML_FORMAT:
        return Response(xml.render(root, body), status_code=status, media_type=XML_TYPE)
    return ORJSONResponse(body, status_code=status)


def spec_error(fmt: str, status: int, description: str,
               headers: dict[str, str] | None = None) -> Response:
    response = _render(fmt, "errors", [{"code": status, "description": description}], status)
    response.headers.update(headers or {})
    return response


def _status(exc: DispatchError) -> int:
    return 404 if exc.code in NOT_FOUND_CODES else exc.status


def open311(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint answering in the path's format, with errors in the spec's shape."""
    async def endpoint(request: Request) -> Response:
        fmt = request.path_params.get("fmt", JSON_FORMAT)
        if fmt not in (JSON_FORMAT, XML_FORMAT):
            return spec_error(JSON_FORMAT, 404, f"no format {fmt}: use .json or .xml")
        try:
            root, body = await handler(request)
        except DispatchError as exc:
            headers = {}
            retry = getattr(exc, "retry_after_s", None)
            if retry is not None:
                headers["Retry-After"] = str(retry)
            text = exc.message if exc.field is None else f"{exc.field}: {exc.message}"
            return spec_error(fmt, _status(exc), text, headers)
        return _render(fmt, root, body)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return public(endpoint)  # type: ignore[no-any-return]


def _lang(request: Request) -> str:
    return lang_of(request.query_params.get("lang")
                   or request.headers.get("accept-language", "")[:2])


def _check_jurisdiction(request: Request, given: str | None) -> None:
    """Act on the street ``given`` names (the home street when None; 404 when not served)."""
    choose(request, given)


def _jurisdiction(request: Request) -> str | None:
    return request.query_params.get(JURISDICTION)


# --- reading ---------------------------------------------------------------------------------


@op(content=SPEC_JSON(Discovery), models=(Discovery,), **SPEC)
@open311
async def discovery(request: Request) -> Result:
    """GeoReport v2 discovery: where the endpoint is and what it speaks."""
    c = choose(request, _jurisdiction(request))
    meta = await c.org.meta()
    changeset = w3c(int(meta.get("seeded_ms") or 0) or None, c.open311.zone)
    return "discovery", {
        "changeset": changeset,
        "contact": c.settings.open311_contact or meta.get("name", ""),
        "key_service": "API keys are issued by the command centre (dispatch open311 keys add)",
        "endpoints": [{"specification": SPEC_URL, "url": base_url(request) + PREFIX,
                       "changeset": changeset, "type": "production",
                       "formats": list(FORMATS)}],
    }


@op(content=array_of(Service), models=(Service,), **SPEC)
@open311
async def services(request: Request) -> Result:
    """The services citizens may request: the catalogue's items open to them."""
    _check_jurisdiction(request, request.query_params.get("jurisdiction_id"))
    return "services", views.services(container(request).rules.catalogue, _lang(request))


@op(content=SPEC_JSON(ServiceDefinition), models=(ServiceDefinition,), errors=(400, 404),
    **SPEC)
@open311
async def service_definition(request: Request) -> Result:
    """A service's extra questions (attributes)."""
    _check_jurisdiction(request, request.query_params.get("jurisdiction_id"))
    catalogue = container(request).rules.catalogue
    code = request.path_params["code"]
    item = catalogue.get(code)
    if item is None or code not in catalogue.citizen_items:
        raise BadRequest(f"no service {code}", code="unknown_service")
    return "service_definition", views.definition(catalogue, item, _lang(request))


def _csv(raw: str | None) -> list[str]:
    return [v.strip() for v in (raw or "").split(",") if v.strip()]


def _date(request: Request, key: str) -> int | None:
    raw = request.query_params.get(key)
    if not raw:
        return None
    found = parse_w3c(raw)
    if found is None:
        raise BadRequest(f"{key} must be a W3C date-time, e.g. 2026-01-01T00:00:00Z",
                         code="invalid_field", field=key)
    return found


@op(content=array_of(ServiceRequest), models=(ServiceRequest,), errors=(400,), **SPEC)
@open311
async def list_requests(request: Request) -> Result:
    """Service requests: by id, or by service code, status and requested date."""
    q = request.query_params
    _check_jurisdiction(request, q.get("jurisdiction_id"))
    statuses = frozenset(_csv(q.get("status")))
    if statuses - {"open", "closed"}:
        raise BadRequest("status is open or closed", code="invalid_field", field="status")
    filters = Filters(ids=tuple(_csv(q.get("service_request_id"))),
                      codes=frozenset(_csv(q.get("service_code"))), statuses=statuses,
                      start_ms=_date(request, "start_date"), end_ms=_date(request, "end_date"))
    found = await container(request).open311.search(filters, _lang(request), base_url(request))
    return "service_requests", found


@op(content=array_of(ServiceRequest), models=(ServiceRequest,), errors=(404,), **SPEC)
@open311
async def get_request(request: Request) -> Result:
    """One service request (never the reporter's contact details)."""
    _check_jurisdiction(request, request.query_params.get("jurisdiction_id"))
    view = await container(request).open311.one(request.path_params["id"], _lang(request),
                                                base_url(request))
    return "service_requests", [view]


@op(content=array_of(ServiceRequest), models=(ServiceRequest,), errors=(404,), **SPEC)
@open311
async def get_token(request: Request) -> Result:
    """The request a token stands for (and, serving several streets, its jurisdiction)."""
    token = request.path_params["token"]
    c = await choose_by_token(request, token, _jurisdiction(request))
    cid = await c.open311.by_token(token)
    found = {"service_request_id": cid, "token": token}
    if deployment(request).multi:
        found[JURISDICTION] = c.keys.street
    return "service_requests", [found]


# --- filing and rating -----------------------------------------------------------------------


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@op(request=FORM_BODY, content=array_of(ServiceRequest), models=(ServiceRequest,),
    errors=(400, 403, 429), **SPEC)
@open311
async def post_request(request: Request) -> Result:
    """File a service request (form-encoded, or multipart with a photo in ``media``)."""
    c = container(request)
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise BadRequest("send the request form-encoded", code="expected_form")
    async with request.form(max_files=1, max_part_size=c.settings.max_media_bytes) as form:
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        part = form.get("media")
        photo = await part.read(c.settings.max_media_bytes + 1) if isinstance(
            part, UploadFile) else None
    fields = dict(pairs)
    c = await choose_by_key(request, fields.get("api_key", ""), fields.get(JURISDICTION))
    key = await c.open311.authorize(fields.get("api_key", ""), _client_address(request))
    new = parse_request(pairs, c.rules.catalogue)
    created = await c.open311.create(new, key, photo)
    if new.contact.get("account_id"):
        created["account_id"] = new.contact["account_id"]
    else:
        created.pop("account_id")
    return "service_requests", [created]


@op(request=RATING_BODY, content=array_of(ServiceRequest), models=(ServiceRequest,),
    errors=(400, 404, 409), **SPEC)
@open311
async def rate_by_token(request: Request) -> Result:
    """The citizen rates the handled request, 1 to 5 with a note, once (党群评议)."""
    async with request.form(max_files=0) as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    c = await choose_by_token(request, request.path_params["token"],
                              fields.get(JURISDICTION) or _jurisdiction(request))
    raw = fields.get("score", "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SCORE:
        raise BadRequest("score is a whole number from 1 to 5", code="invalid_field",
                         field="score")
    note = fields.get("note", "").strip()[:MAX_NOTE]
    cid = await c.open311.rate(request.path_params["token"], int(raw), note)
    return "service_requests", [await c.open311.one(cid, _lang(request), base_url(request))]


@public
@op(content=HTML_PAGE)
async def citizen_page(request: Request) -> Response:
    """The public page where residents report a problem and follow it by its token."""
    return FileResponse(WEB_DIR / "citizen" / "index.html", headers=NO_CACHE)


@public
@op(query=CitizenQuery, ok=CitizenConfig, errors=(404,))
async def citizen_config(request: Request) -> Response:
    """What the public page needs: its API key and the grids to place a report on, of the
    street chosen by ``street`` (or ``jurisdiction_id``; default the home street), and
    every street served, to choose from."""
    q = request.query_params
    c = choose(request, q.get("street") or q.get(JURISDICTION),
               "street" if q.get("street") else JURISDICTION)
    grids = (await c.org.grids())["features"]
    public_grids = [{"type": "Feature", "geometry": f["geometry"], "properties": {
        "id": f["properties"]["id"], "name": f["properties"].get("name"),
        "name_en": f["properties"].get("name_en")}} for f in grids]
    meta = await c.org.meta()
    return ORJSONResponse({
        "api_key": await c.open311.page_key(),
        "street": {"code": c.keys.street, "name": meta.get("name"),
                   "name_en": meta.get("name_en")},
        "streets": await street_list(deployment(request)),
        "grids": {"type": "FeatureCollection", "features": public_grids},
        "open311": PREFIX,
    }, headers=NO_CACHE)


@public
@op(content=IMAGE, errors=(404,), **SPEC)
async def request_media(request: Request) -> Response:
    """A photo of a citizen's request (public like the request)."""
    media_id = request.path_params["id"]
    try:
        c = await choose_by_media(request, media_id, _jurisdiction(request))
    except NotFound as exc:
        return spec_error(JSON_FORMAT, 404, exc.message)
    meta = await c.media.meta(media_id)
    if meta is None or not await c.media.owned_by(media_id, "open311"):
        return spec_error(JSON_FORMAT, 404, f"no photo {media_id}")
    path = c.media.path(meta)
    if not path.exists():
        return spec_error(JSON_FORMAT, 404, f"no photo {media_id}")
    return FileResponse(path, media_type=meta.type, headers={"Cache-Control": MEDIA_CACHE})


routes: list[BaseRoute] = [
    Route(f"{PREFIX}/discovery.{{fmt}}", discovery, methods=["GET"]),
    Route(f"{PREFIX}/services.{{fmt}}", services, methods=["GET"]),
    Route(f"{PREFIX}/services/{{code}}.{{fmt}}", service_definition, methods=["GET"]),
    Route(f"{PREFIX}/requests.{{fmt}}", list_requests, methods=["GET"]),
    Route(f"{PREFIX}/requests.{{fmt}}", post_request, methods=["POST"]),
    Route(f"{PREFIX}/requests/{{id}}.{{fmt}}", get_request, methods=["GET"]),
    Route(f"{PREFIX}/tokens/{{token}}.{{fmt}}", get_token, methods=["GET"]),
    Route(f"{PREFIX}/tokens/{{token}}/rating.{{fmt}}", rate_by_token, methods=["POST"]),
    Route(f"{PREFIX}/media/{{id}}", request_media, methods=["GET"]),
    Route("/report", citizen_page, methods=["GET"]),
    Route("/report/config.json", citizen_config, methods=["GET"]),
]
