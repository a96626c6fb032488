"""Which portal sections a user sees: exactly those whose permission the user holds."""

from dataclasses import dataclass

from django.urls import reverse

from portal.roles import ROLES


@dataclass(frozen=True)
class NavSection:
    label: str
    url: str
    role: str


def sections_for(user) -> list[NavSection]:
    if not user.is_authenticated:
        return []
    return [
        NavSection(label=str(spec.role.label), url=reverse(spec.url_name), role=spec.role.value)
        for spec in ROLES
        if user.has_perm(spec.permission)
    ]
