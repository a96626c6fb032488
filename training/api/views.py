"""Views of the training API: scope with a selector, check shape, call one service, serialize.

Staff roles read courses and their own assignments, attempts, certificates, KPIs and
suggestions; supervisors read everyone's, assign courses and answer suggestions. Another
staff member's attempt or certificate is a 404 like a missing one. Refusals of the services
come back through ``portal.errors``: 400 on a field, else 409.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.serializers import ConflictErrorResponseSerializer
from training import selectors, services
from training.api import filters, serializers
from training.certificates import certificate_by_code, render_certificate_pdf
from training.models import Attempt, Course, Module
from training.permissions import (
    may_answer_suggestions,
    may_manage_training,
    may_take_training,
)

CONFLICT = ConflictErrorResponseSerializer


class TakesTraining(BasePermission):
    """Every staff role; customers and users without a role get 403."""

    def has_permission(self, request, view):
        return may_take_training(request.user)


def _input(serializer_class, request, context=None) -> dict:
    serializer = serializer_class(data=request.data, context=context or {"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    retrieve=extend_schema(responses=serializers.CourseDetailSerializer),
    complete_module=extend_schema(
        request=serializers.ModuleCompleteSerializer,
        responses={200: serializers.CourseDetailSerializer},
        description="Mark a module of the course as read (idempotent).",
    ),
)
class CourseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Active courses with their modules (Markdown and sanitised HTML) and assessments."""

    permission_classes = [IsAuthenticated, TakesTraining]

    def get_queryset(self):
        return selectors.courses_for(self.request.user).prefetch_related("roles").order_by("code")

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.CourseSerializer
        return serializers.CourseDetailSerializer

    def get_object(self):
        try:
            return selectors.course_detail(self.request.user, self.kwargs["pk"])
        except Course.DoesNotExist as exc:
            raise Http404 from exc

    @action(detail=True, methods=["post"], url_path="complete-module")
    def complete_module(self, request, pk=None):
        data = _input(serializers.ModuleCompleteSerializer, request)
        try:
            module = selectors.module_for(request.user, data["module"])
        except Module.DoesNotExist as exc:
            raise Http404 from exc
        if str(module.course_id) != str(pk):
            raise Http404
        services.complete_module(module, user=request.user)
        return Response(self.get_serializer(self.get_object()).data)


class AssignmentPermission(BasePermission):
    def has_permission(self, request, view):
        if view.action == "create":
            return may_manage_training(request.user)
        return may_take_training(request.user)


@extend_schema_view(
    create=extend_schema(
        request=serializers.AssignmentCreateSerializer,
        responses={201: serializers.AssignmentCreatedSerializer},
        description=(
            "Supervisors: give a course to a staff member or to every member of a role, due "
            "on a date (an open assignment of the same course is kept as it is)."
        ),
    )
)
class AssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Training assignments: your own; supervisors see everyone's."""

    serializer_class = serializers.AssignmentSerializer
    permission_classes = [IsAuthenticated, AssignmentPermission]
    filterset_class = filters.AssignmentFilter

    def get_queryset(self):
        return selectors.assignments_for(self.request.user).order_by("due_on", "pk")

    def create(self, request, *args, **kwargs):
        data = _input(serializers.AssignmentCreateSerializer, request)
        if data.get("user"):
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
        return Response({"assigned": count}, status=status.HTTP_201_CREATED)


@extend_schema_view(
    start=extend_schema(
        request=None,
        responses={201: serializers.AttemptDetailSerializer, 409: CONFLICT},
        description=(
            "Start your next attempt: its questions are drawn at random and the clock starts "
            "(409 no_attempts_left, attempt_in_progress)."
        ),
    )
)
class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Assessments of the active courses."""

    serializer_class = serializers.AssessmentSerializer
    permission_classes = [IsAuthenticated, TakesTraining]

    def get_queryset(self):
        return selectors.assessments_for(self.request.user).order_by("course__code", "pk")

    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        attempt = services.start_attempt(self.get_object(), user=request.user)
        fresh = selectors.attempt_detail(request.user, attempt.pk)
        return Response(
            serializers.AttemptDetailSerializer(fresh).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    retrieve=extend_schema(responses=serializers.AttemptDetailSerializer),
    answer=extend_schema(
        request=serializers.AnswerSerializer,
        responses={200: serializers.AttemptDetailSerializer, 409: CONFLICT},
        description=(
            "Save or change one answer while the attempt runs (409 attempt_finished, "
            "time_limit_passed: checked by the server's clock)."
        ),
    ),
    submit=extend_schema(
        request=serializers.SubmitSerializer,
        responses={200: serializers.AttemptDetailSerializer, 409: CONFLICT},
        description=(
            "Hand in, with any answers not saved yet, and get the score. After the time limit "
            "the answers sent are ignored and what was saved in time is scored."
        ),
    ),
)
class AttemptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your attempts (supervisors: everyone's); answering is for the attempt's own user."""

    serializer_class = serializers.AttemptSerializer
    permission_classes = [IsAuthenticated, TakesTraining]
    filterset_class = filters.AttemptFilter

    def get_queryset(self):
        return selectors.attempts_for(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        return Response(serializers.AttemptDetailSerializer(self._detail(kwargs["pk"])).data)

    def _detail(self, pk):
        try:
            return selectors.attempt_detail(self.request.user, pk)
        except Attempt.DoesNotExist as exc:
            raise Http404 from exc

    def _own(self, pk) -> Attempt:
        try:
            return selectors.own_attempt(self.request.user, pk)
        except Attempt.DoesNotExist as exc:
            raise Http404 from exc

    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        attempt = self._own(pk)
        data = _input(serializers.AnswerSerializer, request)
        services.answer_question(attempt, data["position"], data["choices"], user=request.user)
        return Response(serializers.AttemptDetailSerializer(self._detail(pk)).data)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        attempt = self._own(pk)
        data = _input(serializers.SubmitSerializer, request)
        services.submit_attempt(attempt, user=request.user, answers=data["answers"])
        return Response(serializers.AttemptDetailSerializer(self._detail(pk)).data)


@extend_schema_view(
    pdf=extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description="The certificate as a PDF.",
    )
)
class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your certificates (supervisors: everyone's)."""

    serializer_class = serializers.CertificateSerializer
    permission_classes = [IsAuthenticated, TakesTraining]

    def get_queryset(self):
        return selectors.certificates_for(self.request.user)

    @action(detail=True, methods=["get"], url_path="certificate.pdf")
    def pdf(self, request, pk=None):
        certificate = self.get_object()
        response = HttpResponse(render_certificate_pdf(certificate), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="certificate-{certificate.verification_code}.pdf"'
        )
        return response


class CertificateCheckView(APIView):
    """Public (no login): does a verification code belong to a certificate we issued?"""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        parameters=[OpenApiParameter("code", str, required=True)],
        responses=serializers.CertificateCheckSerializer,
    )
    def get(self, request):
        certificate = certificate_by_code(request.query_params.get("code", ""))
        if certificate is None:
            return Response({"valid": False})
        return Response(
            serializers.CertificateCheckSerializer(
                {
                    "valid": True,
                    "holder_name": certificate.holder_name,
                    "course_title": certificate.course_title,
                    "score": certificate.score,
                    "issued_at": certificate.issued_at,
                }
            ).data
        )


class StaffKpiViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Monthly KPIs by incentive score: your own; supervisors see everyone's (the ranking)."""

    serializer_class = serializers.StaffKpiSerializer
    permission_classes = [IsAuthenticated, TakesTraining]
    filterset_class = filters.StaffKpiFilter

    def get_queryset(self):
        return selectors.kpis_for(self.request.user).order_by(
            "-month", "-incentive_score", "user__username"
        )


class SuggestionPermission(BasePermission):
    def has_permission(self, request, view):
        if view.action == "answer":
            return may_answer_suggestions(request.user)
        return may_take_training(request.user)


@extend_schema_view(
    answer=extend_schema(
        request=serializers.SuggestionAnswerSerializer,
        responses={200: serializers.SuggestionSerializer, 409: CONFLICT},
        description="Supervisors answer an open suggestion (409 invalid_transition otherwise).",
    )
)
class SuggestionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Staff suggestions (员工手册 §7.2): yours; supervisors see and answer everyone's."""

    serializer_class = serializers.SuggestionSerializer
    permission_classes = [IsAuthenticated, SuggestionPermission]
    filterset_class = filters.SuggestionFilter

    def get_queryset(self):
        return selectors.suggestions_for(self.request.user)

    def create(self, request, *args, **kwargs):
        data = _input(serializers.SuggestionSerializer, request)
        suggestion = services.submit_suggestion(
            author=request.user, subject=data["subject"], body=data["body"]
        )
        fresh = self.get_queryset().get(pk=suggestion.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        suggestion = self.get_object()
        data = _input(serializers.SuggestionAnswerSerializer, request)
        services.answer_suggestion(suggestion, actor=request.user, answer=data["answer"])
        return Response(self.get_serializer(self.get_queryset().get(pk=suggestion.pk)).data)
