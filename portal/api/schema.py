"""How the OpenAPI schema describes what the API really answers.

Checked by requests generated from the schema itself (tests/portal/test_api_schema_fuzz.py):
every answer, errors included, must validate against what is written here.

- ``ApiAutoSchema`` gives read-only fields the blank and null their model column allows: a
  customer with no e-mail answers ``"email": ""`` and a canned answer with no article
  ``"article": null``; DRF derives ``allow_blank``/``allow_null`` for writable fields only.
- ``SingleObjectSchema`` is for ``list`` actions that answer one object (a summary), not a page.
- ``document_error_responses`` (a postprocessing hook) writes the error answers once for every
  operation: one ``Error`` body (the shape of drf-standardized-errors, which every /api/ answer
  uses, the site's own 404 and 500 handlers included) under each status the API can give.
"""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

# Every operation can answer these: bad input or an unknown query parameter (400), no or a bad
# token (401), a role or a verification gate (403), an unknown id or path (404), a method or an
# Accept the view does not serve (405, 406), and a fault or a database outage (500, 503).
COMMON_ERRORS = {
    "400": "The request is malformed: field messages name what to change.",
    "401": "No valid credentials (a token or a signed-in session).",
    "403": "The caller's role or the verification gate does not allow this.",
    "404": "No such object for this caller, or no such path.",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for a format the API does not serve.",
    "500": "An unexpected fault; the request changed nothing.",
    "503": "The database is briefly unavailable; retry after Retry-After seconds.",
}
# And these where the request carries a body that changes something.
WRITE_ERRORS = {
    "409": "A business rule refused the change (the code says which); nothing was changed.",
    "415": "The body's Content-Type is not one the operation accepts.",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Every error answer of the API: its kind and one entry per problem, tied to a field "
        "(attr) where there is one."
    ),
    "properties": {
        "type": {"type": "string", "enum": ["validation_error", "client_error", "server_error"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "description": "Stable, for programs."},
                    "detail": {"type": "string", "description": "Translated, for people."},
                    "attr": {
                        "type": "string",
                        "nullable": True,
                        "description": "The field (dotted for nested ones), or null.",
                    },
                },
                "required": ["code", "detail", "attr"],
            },
        },
    },
    "required": ["type", "errors"],
}


def _stored_column(field):
    """The model field a serializer field reads, and whether a nullable relation is crossed on
    the way (``customer.name`` of an interaction without a customer is null)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or field.source == "*":
        return None, False
    crosses_null = False
    parts = field.source.split(".")
    for position, part in enumerate(parts):
        try:
            column = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None, False
        if position < len(parts) - 1:
            if not column.is_relation or column.many_to_many or column.one_to_many:
                return None, False
            crosses_null = crosses_null or column.null
            model = column.related_model
    return column, crosses_null


class ApiAutoSchema(AutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        for field in serializer.fields.values():
            if field.read_only:
                self._allow_what_is_stored(field)
        return super()._map_basic_serializer(serializer, direction)

    @staticmethod
    def _allow_what_is_stored(field):
        column, crosses_null = _stored_column(field)
        if column is None:
            return
        if crosses_null or getattr(column, "null", False):
            field.allow_null = True
        if (
            getattr(column, "blank", False)
            and not column.is_relation
            and isinstance(field, serializers.CharField | serializers.ChoiceField)
        ):
            field.allow_blank = True


class SingleObjectSchema(ApiAutoSchema):
    """For a viewset whose ``list`` action answers one summary object, neither an array nor a
    page (its other actions are described as usual)."""

    def _is_list_view(self, serializer=None):
        if getattr(self.view, "action", None) == "list":
            return False
        return super()._is_list_view(serializer)


def document_error_responses(result, generator, request, public):
    """Postprocessing hook: the one ``Error`` body under every status an operation can answer,
    in place of whatever each view declared."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for code in [code for code in responses if code[0] in "45"]:
                del responses[code]
            errors = COMMON_ERRORS | (WRITE_ERRORS if method in WRITE_METHODS else {})
            for code, description in sorted(errors.items()):
                responses[code] = {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
    schemas["Error"] = ERROR_SCHEMA
    _drop_unreferenced_schemas(result)
    return result


SCHEMA_REF_PREFIX = "#/components/schemas/"


def _schema_refs(node):
    """The component names ``node`` refers to with ``$ref``, at any depth."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF_PREFIX):
            yield ref.removeprefix(SCHEMA_REF_PREFIX)
        for value in node.values():
            yield from _schema_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_refs(value)


def _drop_unreferenced_schemas(result):
    """Keep the components the operations reach, through other components too; drop the ones
    only the replaced error answers used (``ValidationError...``)."""
    schemas = result["components"]["schemas"]
    pending = list(_schema_refs(result["paths"]))
    reached = set()
    while pending:
        name = pending.pop()
        if name not in reached and name in schemas:
            reached.add(name)
            pending.extend(_schema_refs(schemas[name]))
    for name in set(schemas) - reached:
        del schemas[name]
