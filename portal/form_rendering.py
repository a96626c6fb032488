"""How forms render on every page: Django's layout, in fewer template renders.

Django renders each field through four templates (field, label, error list and its ``ul``)
before the widget's own; on a ticket page with seven action forms that was a fifth of the
request. ``templates/forms/`` writes the label and the errors inline, keeping what matters for
accessibility: ``<label for>``, help text and errors with the ids Django's widgets point
``aria-describedby`` at, and ``aria-invalid`` on fields with errors (set by Django).
"""

from django.forms.renderers import TemplatesSetting


class SiteFormRenderer(TemplatesSetting):
    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
