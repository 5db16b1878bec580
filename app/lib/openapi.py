"""A truthful OpenAPI (CONTRACT section 3, "OpenAPI"): every status an /api route can
answer, documented with the `{"ok": false, "error": ...}` body that app.lib.htmx
error_response really sends, in place of Litestar's `{status_code, detail}`.

Applied once in create_app to the schema Litestar generates (and caches), so no route
decorator has to repeat it. Which errors a route can answer follows from the route:

- every route: 400 (a parameter, the query string or the path is refused), 404 (an
  object that does not exist or is not yours, an id out of range), 503 (the database
  is unavailable);
- a route that asks for `current_user`: 401;
- a route with an unsafe method: 403 (CSRF, with the session cookie), 409, 413, 415, 422;
- more through the handler's `opt={"errors": (401, 429)}` (e.g. creating a token).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from litestar import Litestar
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, PathItem, Reference, Schema
from litestar.routes import HTTPRoute

ERROR_SCHEMA_NAME: Final = "ErrorBody"
ERROR_SCHEMA: Final = Schema(
    type=OpenAPIType.OBJECT,
    title=ERROR_SCHEMA_NAME,
    description='Every error: `{"ok": false, "error": "<message naming the field>"}`',
    required=["ok", "error"],
    properties={"ok": Schema(type=OpenAPIType.BOOLEAN, const=False), "error": Schema(type=OpenAPIType.STRING)},
)
DESCRIPTIONS: Final[dict[int, str]] = {
    400: "The request is invalid (the message names the field)",
    401: "Authentication required, or wrong credentials",
    403: "Forbidden (a cookie-authenticated write without the CSRF token)",
    404: "Not found (or not yours)",
    409: "Conflict with the current state",
    413: "The body is too large",
    415: "Unsupported content type",
    422: "The request could not be processed",
    429: "Too many attempts; retry later",
    503: "The database is unavailable; retry after Retry-After seconds",
}
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_ERRORS: Final = (403, 409, 413, 415, 422)


def error_statuses(handler: Any, method: str, auth_dependency: str) -> set[int]:
    """The error statuses a handler can answer (see the module docstring)."""
    statuses = {400, 404, 503}
    if auth_dependency in handler.parsed_fn_signature.parameters:
        statuses.add(401)
    if method.upper() not in SAFE_METHODS:
        statuses.update(WRITE_ERRORS)
    statuses.update(handler.opt.get("errors", ()))
    return statuses


def _error_response(status: int, ref: Reference) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=DESCRIPTIONS.get(status, "Error"),
        content={"application/json": OpenAPIMediaType(schema=ref)},
    )


def _document(operation: Operation, statuses: Iterable[int], ref: Reference) -> None:
    responses = operation.responses if operation.responses is not None else {}
    # Litestar's own error entries describe `{status_code, detail}`, which is never sent.
    statuses = {*statuses, *(int(code) for code in responses if code.isdigit() and int(code) >= 400)}
    for status in sorted(statuses):
        responses[str(status)] = _error_response(status, ref)
    operation.responses = responses


def document_errors(app: Litestar, *, prefix: str = "/api", auth_dependency: str = "current_user") -> None:
    """Rewrite the error responses of every route under `prefix` in the app's OpenAPI."""
    openapi = app.openapi_schema
    if openapi.components.schemas is None:
        openapi.components.schemas = {}
    openapi.components.schemas[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    ref = Reference(ref=f"#/components/schemas/{ERROR_SCHEMA_NAME}")
    paths = openapi.paths or {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path_format.startswith(prefix):
            continue
        item = paths.get(route.path_format)
        if not isinstance(item, PathItem):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            operation = getattr(item, str(method).lower(), None)
            if isinstance(operation, Operation):
                _document(operation, error_statuses(handler, str(method), auth_dependency), ref)
