"""Portal pages of training: "my training" for every staff role (courses, progress, exams,
certificates, KPIs, suggestions), the supervisors' team training and KPI pages, and the public
certificate check (no login).

Views are thin: reads start from ``training.selectors`` (outside the scope is 404), each POST
calls one service and redirects with a message, and a service's refusal is shown on the page
that asked (400), never as a 500.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from billing.invoices import grouped_code
from portal.months import month_start, parse_month
from portal.roles import STAFF_ROLES, Role
from portal.web import DOMAIN_ERRORS, add_service_error, no_cache, page_number
from training import selectors, services
from training.certificates import certificate_by_code, normalize_code, render_certificate_pdf
from training.choices import AttemptStatus, SuggestionStatus
from training.forms import AssignCourseForm, AttemptForm, SuggestionAnswerForm, SuggestionForm
from training.markdown import render_markdown
from training.models import (
    Assessment,
    Attempt,
    Certificate,
    Course,
    Module,
    ModuleAttachment,
    Suggestion,
    Team,
)
from training.permissions import may_answer_suggestions, may_take_training, may_view_team

ROWS_PER_PAGE = 25
KPI_TREND_MONTHS = 6


def _page(request, rows, per_page: int = ROWS_PER_PAGE):
    page = Paginator(rows, per_page).get_page(page_number(request))
    page.object_list = list(page.object_list)
    return page


class StaffTrainingMixin(LoginRequiredMixin):
    """Pages of any staff role's training; customers and users without a role get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_take_training(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SupervisorMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_view_team(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- My training ----------------------------------------------------------------------------


class MyTrainingView(StaffTrainingMixin, View):
    """My assignments and courses with progress, my attempts and certificates."""

    def get(self, request):
        user = request.user
        today = timezone.localdate()
        assignments = list(
            selectors.assignments_for(user)
            .filter(user=user, completed_at__isnull=True)
            .order_by("due_on", "pk")
        )
        for assignment in assignments:
            assignment.overdue = assignment.is_overdue(today)
        context = {
            "assignments": assignments,
            "courses": list(selectors.my_courses(user)),
            "attempts": list(selectors.attempts_for(user).filter(user=user)[:10]),
            "certificates": list(selectors.certificates_for(user).filter(user=user)[:20]),
            "may_view_team": may_view_team(user),
        }
        return no_cache(render(request, "training/my_training.html", context))


class CourseDetailView(StaffTrainingMixin, View):
    def get(self, request, pk):
        user = request.user
        try:
            course = selectors.course_detail(user, pk)
        except Course.DoesNotExist as exc:
            raise Http404 from exc
        modules = list(course.modules.all())
        for module in modules:
            module.html = render_markdown(module.body)
        assessments = list(course.assessments.all())
        attempts = list(selectors.attempts_for(user).filter(user=user, assessment__course=course))
        used = {}
        for attempt in attempts:
            used[attempt.assessment_id] = used.get(attempt.assessment_id, 0) + 1
        for assessment in assessments:
            assessment.left = max(assessment.max_attempts - used.get(assessment.pk, 0), 0)
            assessment.running = next(
                (a for a in attempts if a.assessment_id == assessment.pk and a.is_open), None
            )
        context = {
            "course": course,
            "modules": modules,
            "done": sum(1 for module in modules if module.done),
            "assessments": assessments,
            "attempts": attempts,
            "roles": [Role(row.role).label for row in course.roles.all()],
        }
        return no_cache(render(request, "training/course_detail.html", context))


class ModuleCompleteView(StaffTrainingMixin, View):
    def post(self, request, pk):
        try:
            module = selectors.module_for(request.user, pk)
        except Module.DoesNotExist as exc:
            raise Http404 from exc
        services.complete_module(module, user=request.user)
        messages.success(request, _("Module %(title)s marked as read.") % {"title": module.title})
        return HttpResponseRedirect(reverse("training-course", args=[module.course_id]))


class AttemptStartView(StaffTrainingMixin, View):
    def post(self, request, pk):
        try:
            assessment = selectors.assessments_for(request.user).get(pk=pk)
        except Assessment.DoesNotExist as exc:
            raise Http404 from exc
        try:
            attempt = services.start_attempt(assessment, user=request.user)
        except DOMAIN_ERRORS as exc:
            messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))
            return HttpResponseRedirect(reverse("training-course", args=[assessment.course_id]))
        return HttpResponseRedirect(reverse("training-attempt", args=[attempt.pk]))


class AttemptView(StaffTrainingMixin, View):
    """Take an attempt (its own user only) or read its result; the clock is the server's."""

    def get_attempt(self, pk) -> Attempt:
        try:
            return selectors.attempt_detail(self.request.user, pk)
        except Attempt.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, pk):
        attempt = self.get_attempt(pk)
        form = AttemptForm(attempt) if self._may_answer(attempt) else None
        return self.render_page(attempt, form)

    def post(self, request, pk):
        attempt = self.get_attempt(pk)
        if attempt.user_id != request.user.pk:
            raise PermissionDenied
        form = AttemptForm(attempt, request.POST)
        if not form.is_valid():
            return self.render_page(attempt, form, status=400)
        try:
            attempt = services.submit_attempt(attempt, user=request.user, answers=form.answers())
        except DOMAIN_ERRORS as exc:
            add_service_error(form, exc)
            return self.render_page(self.get_attempt(pk), form, status=400)
        if attempt.status == AttemptStatus.EXPIRED:
            messages.error(
                request,
                _("The time limit had passed: only the answers saved in time were scored."),
            )
        elif attempt.passed:
            messages.success(
                request,
                _("Passed with %(score)s%%. Your certificate is ready.") % {"score": attempt.score},
            )
        else:
            messages.error(request, _("Not passed: %(score)s%%.") % {"score": attempt.score})
        return HttpResponseRedirect(reverse("training-attempt", args=[attempt.pk]))

    def _may_answer(self, attempt: Attempt) -> bool:
        return (
            attempt.user_id == self.request.user.pk
            and attempt.is_open
            and attempt.deadline_at > timezone.now()
        )

    def render_page(self, attempt: Attempt, form, *, status=200) -> HttpResponse:
        finished = not attempt.is_open
        rows = []
        if finished:
            for item in attempt.questions.all():
                choices = {choice.pk: choice for choice in item.question.choices.all()}
                rows.append(
                    {
                        "item": item,
                        "options": [
                            {
                                "text": choices[cid].text,
                                "chosen": cid in (item.selected or []),
                                "correct": choices[cid].is_correct,
                            }
                            for cid in item.choice_order
                            if cid in choices
                        ],
                    }
                )
        context = {
            "attempt": attempt,
            "assessment": attempt.assessment,
            "form": form,
            "finished": finished,
            "rows": rows,
            "expired_unsubmitted": attempt.is_open and attempt.deadline_at <= timezone.now(),
            "certificate": getattr(attempt, "certificate", None) if attempt.passed else None,
        }
        return no_cache(render(self.request, "training/attempt.html", context, status=status))


class HandoutView(StaffTrainingMixin, View):
    """Download a module's handout: staff who take training; media is never served directly."""

    def get(self, request, pk):
        try:
            handout = ModuleAttachment.objects.select_related("module__course").get(
                pk=pk, module__course__in=selectors.courses_for(request.user)
            )
        except ModuleAttachment.DoesNotExist as exc:
            raise Http404 from exc
        response = FileResponse(
            handout.file.open("rb"),
            as_attachment=True,
            filename=handout.download_name,
            content_type=handout.content_type,
        )
        return no_cache(response)


class CertificatePdfView(StaffTrainingMixin, View):
    def get(self, request, pk):
        try:
            certificate = selectors.certificates_for(request.user).get(pk=pk)
        except Certificate.DoesNotExist as exc:
            raise Http404 from exc
        response = HttpResponse(render_certificate_pdf(certificate), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="certificate-{certificate.verification_code}.pdf"'
        )
        return no_cache(response)


class CertificateCheckView(View):
    """Anyone holding a certificate may check its code: holder, course, score and date."""

    def get(self, request):
        code = normalize_code(request.GET.get("code", ""))
        certificate = certificate_by_code(code) if code else None
        context = {
            "code": grouped_code(code) if code else "",
            "checked": bool(code),
            "certificate": certificate,
        }
        return render(request, "training/certificate_check.html", context)


class MyKpiView(StaffTrainingMixin, View):
    def get(self, request):
        rows = list(
            selectors.kpis_for(request.user).filter(user=request.user).order_by("-month")[:12]
        )
        return no_cache(render(request, "training/my_kpis.html", {"kpis": rows}))


# --- Suggestions ----------------------------------------------------------------------------


class SuggestionPage(StaffTrainingMixin):
    def render_page(self, *, form=None, failed=None, status=200) -> HttpResponse:
        user = self.request.user
        page = _page(self.request, selectors.suggestions_for(user))
        may_answer = may_answer_suggestions(user)
        for suggestion in page.object_list:
            suggestion.answer_form = None
            if may_answer and suggestion.status == SuggestionStatus.OPEN:
                if failed is not None and failed[0] == suggestion.pk:
                    suggestion.answer_form = failed[1]
                else:
                    suggestion.answer_form = SuggestionAnswerForm(auto_id=f"s{suggestion.pk}_%s")
        context = {
            "page_obj": page,
            "suggestions": page.object_list,
            "form": form or SuggestionForm(),
            "may_answer": may_answer,
        }
        return no_cache(render(self.request, "training/suggestions.html", context, status=status))


class SuggestionListView(SuggestionPage, View):
    def get(self, request):
        return self.render_page()

    def post(self, request):
        form = SuggestionForm(request.POST)
        if form.is_valid():
            try:
                services.submit_suggestion(author=request.user, **form.cleaned_data)
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Thank you: your suggestion was sent."))
                return HttpResponseRedirect(reverse("training-suggestions"))
        return self.render_page(form=form, status=400)


class SuggestionAnswerView(SuggestionPage, View):
    def post(self, request, pk):
        if not may_answer_suggestions(request.user):
            raise PermissionDenied
        try:
            suggestion = selectors.suggestions_for(request.user).get(pk=pk)
        except Suggestion.DoesNotExist as exc:
            raise Http404 from exc
        form = SuggestionAnswerForm(request.POST, auto_id=f"s{pk}_%s")
        if form.is_valid():
            try:
                services.answer_suggestion(
                    suggestion, actor=request.user, answer=form.cleaned_data["answer"]
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Your answer was sent."))
                return HttpResponseRedirect(reverse("training-suggestions"))
        return self.render_page(failed=(pk, form), status=400)


# --- Supervisors ----------------------------------------------------------------------------


class TeamTrainingView(SupervisorMixin, View):
    """Everyone's open training, overdue first, and the form that assigns a course."""

    def get(self, request):
        return self.render_page(AssignCourseForm(initial={"due_on": self._default_due()}))

    def post(self, request):
        form = AssignCourseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["user"]:
                    services.assign_course(
                        data["course"],
                        data["user"],
                        due_on=data["due_on"],
                        actor=request.user,
                        note=data["note"],
                    )
                    count = 1
                else:
                    count = services.assign_course_to_role(
                        data["course"], data["role"], due_on=data["due_on"], actor=request.user
                    )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(course)s assigned to %(count)d staff members.")
                    % {"course": data["course"].title, "count": count},
                )
                return HttpResponseRedirect(reverse("training-team"))
        return self.render_page(form, status=400)

    @staticmethod
    def _default_due() -> datetime.date:
        return timezone.localdate() + datetime.timedelta(days=14)

    def render_page(self, form, *, status=200) -> HttpResponse:
        today = timezone.localdate()
        rows = selectors.assignments_for(self.request.user).filter(completed_at__isnull=True)
        if self.request.GET.get("overdue") == "1":
            rows = rows.filter(due_on__lt=today)
        page = _page(self.request, rows.order_by("due_on", "pk"))
        for assignment in page.object_list:
            assignment.overdue = assignment.is_overdue(today)
        context = {
            "form": form,
            "page_obj": page,
            "assignments": page.object_list,
            "overdue_only": self.request.GET.get("overdue") == "1",
        }
        return no_cache(render(self.request, "training/team.html", context, status=status))


class KpiRankingView(SupervisorMixin, View):
    """The month's ranking by incentive score (per team or role), and the trends."""

    def get(self, request):
        user = request.user
        try:
            month = parse_month(request.GET.get("month", ""))
        except ValueError:
            month = month_start(timezone.localdate())
        teams = list(Team.objects.order_by("name"))
        team = next((t for t in teams if str(t.pk) == request.GET.get("team")), None)
        staff_roles = {role.value for role in STAFF_ROLES}
        role = request.GET.get("role") if request.GET.get("role") in staff_roles else ""
        by = "team" if request.GET.get("by") == "team" else "role"
        ranking = list(selectors.kpi_ranking(user, month, team=team, role=role))
        trends = selectors.kpi_trends(user, until=month, months=KPI_TREND_MONTHS, by=by)
        months = sorted({row["month"] for row in trends})
        grouped: dict = {}
        for row in trends:
            grouped.setdefault(row["group"], {})[row["month"]] = row
        role_labels = {role.value: role.label for role in STAFF_ROLES}
        trend_rows = [
            {
                "label": role_labels.get(group, group) if by == "role" else (group or _("No team")),
                "cells": [grouped[group].get(m) for m in months],
            }
            for group in sorted(grouped, key=lambda g: str(g or ""))
        ]
        context = {
            "month": month,
            "ranking": ranking,
            "teams": teams,
            "team": team,
            "roles": [(role.value, role.label) for role in STAFF_ROLES],
            "role": role,
            "by": by,
            "months": months,
            "trend_rows": trend_rows,
        }
        return no_cache(render(request, "training/kpis.html", context))
