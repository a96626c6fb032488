"""`/api/schema/`: the OpenAPI schema, generated once per process and key, then served as bytes.

Generating the schema walks every API view and serializer (seconds of CPU), and the URL needs no
sign-in, so an uncached view lets anyone load the web nodes with plain GETs. The schema is a
function of the deployed code and settings only (``SERVE_PUBLIC``: the caller's permissions do
not enter it), so one copy per language and format serves every caller until the next deploy.

The copies live in process memory, not in Redis: a Redis outage must degrade nothing (README,
Production), and the copies are small enough to keep in every process: 0.6 MB of YAML and
1.2 MB of JSON per language, about 4 MB for the four, which each process rebuilds on its own.
The first request for each key pays the generation; nothing warms the cache at start-up.
"""

import hashlib
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView
from rest_framework.settings import api_settings

# (URL route, language, API version, renderer format): each part bounded by the configuration,
# never by what a client types, so the dictionary cannot be grown by requests.
SchemaKey = tuple[str | None, str, str | None, str]


@dataclass(frozen=True)
class RenderedSchema:
    """One generated schema in one format, as sent: the body and the headers derived from it."""

    content: bytes
    etag: str
    content_disposition: str


_rendered: dict[SchemaKey, RenderedSchema] = {}
_generation_locks: dict[SchemaKey, threading.Lock] = {}
_generation_locks_guard = threading.Lock()


@receiver(setting_changed)
def forget_rendered_schemas(**kwargs) -> None:
    """Settings shape the schema; only tests change them at run time, and they get a fresh one."""
    _rendered.clear()


def rendered_schema(key: SchemaKey, generate) -> RenderedSchema:
    """The cached schema for ``key``, generating it (once, however many requests wait) if absent."""
    cached = _rendered.get(key)
    if cached is not None:
        return cached
    with _generation_locks_guard:
        lock = _generation_locks.setdefault(key, threading.Lock())
    # One lock per key: concurrent first requests for a key wait for the one generation instead
    # of each running it, while another language or format is generated alongside.
    with lock:
        cached = _rendered.get(key)
        if cached is None:
            cached = generate()
            _rendered[key] = cached
    return cached


def _supported_language(code: str | None) -> str | None:
    """``code`` as spelt in ``LANGUAGES`` (``zh-Hans``, ``ZH-HANS`` -> ``zh-hans``), else None."""
    if not code:
        return None
    try:
        variant = translation.get_supported_language_variant(code)
    except LookupError:
        return None
    spelt = {lang.lower(): lang for lang, _name in settings.LANGUAGES}
    return spelt.get(variant.lower())


class CachedSpectacularAPIView(SpectacularAPIView):
    """drf-spectacular's schema view, generating each (language, version, format) once.

    Negotiation is the parent's (``?format=``, ``Accept``; ``?lang=``, else the request's language
    from ``LocaleMiddleware``). Two inputs are narrowed so that no request can make a key of its
    own: a ``?lang=`` naming no supported language falls back to the request's language (as an
    unsupported ``Accept-Language`` does), and ``?version=`` counts only when it is one of
    ``ALLOWED_VERSIONS`` (the parent would copy any text into ``info.version``).
    """

    @extend_schema(**SCHEMA_KWARGS)
    def get(self, request, *args, **kwargs):
        if not self.serve_public:
            # A non-public schema lists what the caller may do: one copy cannot serve everyone.
            return super().get(request, *args, **kwargs)
        requested = _supported_language(request.GET.get("lang")) if settings.USE_I18N else None
        language = (
            requested or _supported_language(translation.get_language()) or settings.LANGUAGE_CODE
        )
        version = self.api_version or request.version or self._allowed_version_parameter(request)
        renderer = request.accepted_renderer
        route = getattr(request.resolver_match, "route", None)
        with translation.override(language):
            schema = rendered_schema(
                (route, language, version, renderer.format),
                lambda: self._render_schema(request, version),
            )
        response = HttpResponse(schema.content, content_type=self._content_type(renderer))
        response["Content-Disposition"] = schema.content_disposition
        response["ETag"] = schema.etag
        # Clients may keep it, but ask again each time: after a deploy they get the new schema at
        # once, and until then the answer is a body-less 304 for the ETag they hold.
        response["Cache-Control"] = "no-cache"
        return get_conditional_response(request, etag=schema.etag, response=response)

    def _render_schema(self, request, version: str | None) -> RenderedSchema:
        renderer = request.accepted_renderer
        with patched_settings(self.custom_settings):
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            data = generator.get_schema(request=request, public=self.serve_public)
            disposition = f'inline; filename="{self._get_filename(request, version)}"'
        # Rendered for the renderer's own media type, not the accepted one, whose parameters
        # (``indent=``) the client chooses: both renderers of a format give these same bytes.
        content = renderer.render(data, renderer.media_type, self.get_renderer_context())
        return RenderedSchema(
            content=content,
            etag=f'"{hashlib.sha256(content).hexdigest()}"',
            content_disposition=disposition,
        )

    def _allowed_version_parameter(self, request) -> str | None:
        version = request.GET.get("version")
        return version if version in (api_settings.ALLOWED_VERSIONS or ()) else None

    @staticmethod
    def _content_type(renderer) -> str:
        # As DRF's Response builds it: the YAML renderers name their charset, JSON's do not.
        if renderer.charset is None:
            return renderer.media_type
        return f"{renderer.media_type}; charset={renderer.charset}"
