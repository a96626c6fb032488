"""The page kit: what every HTML page does the same way, whichever app it belongs to.

A page calls one service; a refusal is a ``DomainError`` (a business rule, with a stable code)
or Django's ``ValidationError`` (input of the wrong shape). The page catches ``DOMAIN_ERRORS``
and shows the refusal on the form that asked (``add_service_error``) or as a message
(``error_message``). Pages that show a customer's data are never cached (``no_cache``).

No telecom rules here: only Django and ``portal.errors``.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from portal.errors import DomainError

# What a page catches around a service call: every app's refusals and malformed input.
DOMAIN_ERRORS = (DomainError, ValidationError)


def add_service_error(form: forms.Form, exc: Exception, field_map: dict[str, str] | None = None):
    """Show a service's refusal on the form: on the field it names when the form has one."""
    field_map = field_map or {}

    def target(field: str | None) -> str | None:
        name = field_map.get(field, field) if field else None
        return name if name in form.fields else None

    if isinstance(exc, DomainError):
        form.add_error(target(exc.field), exc.message)
    elif isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(target(field), errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.error_list)
    else:  # pragma: no cover - callers catch only DOMAIN_ERRORS
        raise TypeError(type(exc))


def error_message(exc: Exception) -> str:
    """A refusal caught as ``DOMAIN_ERRORS`` as one line of text (for a message or JSON)."""
    if isinstance(exc, DomainError):
        return exc.message
    return " ".join(exc.messages)


def page_number(request, name: str = "page") -> str:
    """The page of a list the request asks for (the paginator copes with anything else)."""
    return request.GET.get(name) or "1"


def no_cache(response: HttpResponse) -> HttpResponse:
    # Pages carry customers' names, lines and problems: no copy in any cache.
    add_never_cache_headers(response)
    return response


def no_cache_varying_on_htmx(response: HttpResponse) -> HttpResponse:
    """``no_cache`` for an address that answers a whole page or the block htmx swaps: caches
    must tell the two apart."""
    no_cache(response)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response
