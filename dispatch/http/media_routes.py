"""Photo upload (即拍即传): multipart, one image per request."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import guard
from dispatch.errors import BadRequest
from dispatch.http.context import container
from dispatch.http.models.media import UPLOAD, Media
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role

HTTP_CREATED = 201
MAX_PARTS = 4


@guard(Role.GRID_WORKER, Role.DISPOSAL_MEMBER, Role.DEPT_LEAD, Role.DISPATCHER, Role.ADMIN,
       Role.GRID_ASSISTANT, Role.INFORMANT)
@op(request=UPLOAD, ok=Media, status=HTTP_CREATED)
async def upload(request: Request, principal: Principal) -> Response:
    """Upload one photo (multipart field `file`); returns its id."""
    c = container(request)
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        raise BadRequest("send the photo as multipart/form-data in the field 'file'",
                         code="expected_multipart")
    async with request.form(max_files=1, max_fields=MAX_PARTS,
                            max_part_size=c.settings.max_media_bytes) as form:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise BadRequest("the multipart field 'file' is missing", code="missing_field",
                             field="file")
        data = await part.read(c.settings.max_media_bytes + 1)
    meta = await c.media.save(data, principal.username)
    return json(meta.public(), status_code=HTTP_CREATED)


routes: list[BaseRoute] = [
    Route("/api/v1/media", upload, methods=["POST"]),
]
