"""Forms of the workspaces' own pages (the list filters are in ``filters``)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class WorkspaceSearchForm(forms.Form):
    # The page draws its own box: it is never refilled with the query (it may be a full ID).
    q = forms.CharField(
        label=_("Phone, customer, ID, ticket or order number"), max_length=40, strip=True
    )
