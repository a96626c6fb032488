"""Staff roles and the customer role: their groups, portal sections and permissions.

Each role is a ``Group`` named after ``Role.value``. ``ROLE_PERMISSIONS`` lists what each group
may do; later apps add their model permissions here, and ``sync_role_groups`` (run after every
migrate) brings the groups in line. Roles are data the admin can see, but this table is the
source of truth: an admin's manual edit to a role group is undone by the next migrate.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    """Each value is a group name: stable, never translated."""

    SERVICE_SPECIALIST = "service_specialist", _("Service specialist")
    TECH_SUPPORT = "tech_support_engineer", _("Tech-support engineer")
    COMPLAINT_COORDINATOR = "complaint_coordinator", _("Complaint coordinator")
    SALES_ADVISOR = "sales_advisor", _("Sales advisor")
    SUPERVISOR = "supervisor", _("Supervisor")
    CUSTOMER = "customer", pgettext_lazy("role", "Customer")


STAFF_ROLES = (
    Role.SERVICE_SPECIALIST,
    Role.TECH_SUPPORT,
    Role.COMPLAINT_COORDINATOR,
    Role.SALES_ADVISOR,
    Role.SUPERVISOR,
)


@dataclass(frozen=True)
class RoleSpec:
    """What a role sees: its portal section (URL, permission) and what the section is for."""

    role: Role
    url_name: str
    permission_codename: str
    permission_name: str
    summary: str
    duties: tuple[str, ...]

    @property
    def permission(self) -> str:
        return f"portal.{self.permission_codename}"


# Duties follow the operator's role handbook (客服部各岗位应知应会, 客户服务岗位职责).
ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        role=Role.SERVICE_SPECIALIST,
        url_name="workspace-specialist",
        permission_codename="access_specialist_workspace",
        permission_name="Can use the service specialist workspace",
        summary=_("First contact for every customer on the hotline, chat and e-mail."),
        duties=(
            _("Answer calls and resolve customers' questions, complaints and problems."),
            _("Verify the caller's identity before disclosing account details."),
            _("Record and follow every inquiry and complaint until it is closed."),
            _("Hand faults to tech support and complaints to the coordinators."),
            _("Call customers back and collect their satisfaction feedback."),
        ),
    ),
    RoleSpec(
        role=Role.TECH_SUPPORT,
        url_name="workspace-tech-support",
        permission_codename="access_tech_support_workspace",
        permission_name="Can use the tech-support workspace",
        summary=_("Diagnoses and repairs network and service faults."),
        duties=(
            _("Locate and clear faults in mobile, data, broadband and fixed-line service."),
            _("Handle faults first: fault reports take priority."),
            _("Record diagnosis and resolution on the fault ticket."),
            _("Guard the network against attacks and misuse."),
        ),
    ),
    RoleSpec(
        role=Role.COMPLAINT_COORDINATOR,
        url_name="workspace-complaints",
        permission_codename="access_complaints_workspace",
        permission_name="Can use the complaint coordinator workspace",
        summary=_("Resolves complaints and billing disputes, coordinating other departments."),
        duties=(
            _("Handle complaints and disputes under consumer-protection law."),
            _("Coordinate with other departments until the customer's problem is solved."),
            _("Grant justified billing adjustments within your approval limit."),
            _("Review low satisfaction scores and reopen what was not solved."),
        ),
    ),
    RoleSpec(
        role=Role.SALES_ADVISOR,
        url_name="workspace-sales",
        permission_codename="access_sales_workspace",
        permission_name="Can use the sales advisor workspace",
        summary=_("Recommends plans and services that fit the customer's usage."),
        duties=(
            _("Know every product: plans, value-added services, broadband and fixed line."),
            _("Recommend the plan that fits the customer's actual usage."),
            _("Take service orders in the business hall and follow them to completion."),
            _("Meet sales targets honestly, explaining prices and terms in full."),
        ),
    ),
    RoleSpec(
        role=Role.SUPERVISOR,
        url_name="workspace-supervisor",
        permission_codename="access_supervisor_workspace",
        permission_name="Can use the supervisor workspace",
        summary=_("Oversees service quality, KPIs and reports for the whole team."),
        duties=(
            _("Follow service levels, escalations and customer satisfaction."),
            _("Review staff KPIs and training results."),
            _("Write the monthly service report for management."),
            _("Take over what the team cannot resolve."),
        ),
    ),
    RoleSpec(
        role=Role.CUSTOMER,
        url_name="customer-home",
        permission_codename="access_customer_portal",
        permission_name="Can use the customer self-service portal",
        summary=_("Your lines, balance, bills, top-ups, services and tickets in one place."),
        duties=(),
    ),
)

ROLE_SPECS: dict[Role, RoleSpec] = {spec.role: spec for spec in ROLES}

# Permissions per role, as "app_label.codename". Each role's own portal section comes first;
# later issues add model permissions (e.g. "crm.view_customer") to these lists.
_CRM_FRONT_DESK = (
    "crm.view_customer",
    "crm.add_customer",
    "crm.view_billingaccount",
    "crm.view_subscription",
    "crm.view_product",
    "crm.view_serviceorder",
    "crm.add_serviceorder",
    "crm.change_serviceorder",
    "crm.view_interaction",
    "crm.add_interaction",
    "crm.change_interaction",
    "crm.view_identityverification",
    "crm.add_identityverification",
)
_CRM_READ = (
    "crm.view_customer",
    "crm.view_billingaccount",
    "crm.view_subscription",
    "crm.view_product",
    "crm.view_serviceorder",
    "crm.view_interaction",
    "crm.add_interaction",
    "crm.change_interaction",
    "crm.view_identityverification",
    "crm.add_identityverification",
)
_BILLING_READ = (
    "billing.view_prepaidbalance",
    "billing.view_ledgerentry",
    "billing.view_topup",
    "billing.view_usagerecord",
    "billing.view_bill",
    "billing.view_billline",
)
# Every staff role reads tickets and opens them for a customer; changing one takes the
# per-ticket "work_ticket" permission (assignee and queue role, complaints.permissions).
_TICKETS = (
    "complaints.view_ticket",
    "complaints.add_ticket",
    "complaints.view_ticketnote",
    "complaints.view_survey",
)
_EXTRA_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.SERVICE_SPECIALIST: (
        *_CRM_FRONT_DESK,
        "crm.reveal_customer_pii",
        *_BILLING_READ,
        "billing.add_topup",
        *_TICKETS,
        "complaints.view_callback",
        "complaints.change_callback",
    ),
    Role.SALES_ADVISOR: (
        *_CRM_FRONT_DESK,
        "billing.view_prepaidbalance",
        "billing.view_topup",
        "billing.add_topup",
        *_TICKETS,
    ),
    Role.COMPLAINT_COORDINATOR: (
        *_CRM_READ,
        *_BILLING_READ,
        *_TICKETS,
        "complaints.view_callback",
    ),
    Role.TECH_SUPPORT: (*_CRM_READ, "billing.view_usagerecord", *_TICKETS),
    Role.SUPERVISOR: (
        *_CRM_READ,
        *_BILLING_READ,
        "billing.view_cdrimport",
        "billing.add_cdrimport",
        "crm.reveal_customer_pii",
        "crm.view_unverified_customer",
        "crm.view_piiaccesslog",
        *_TICKETS,
        "complaints.work_ticket",
        "complaints.view_callback",
        "complaints.change_callback",
        "complaints.view_notification",
        # The outbox page, where failed and delayed messages are sent again.
        "complaints.retry_notification",
        "portal.view_deliveryretry",
    ),
    Role.CUSTOMER: (),
}
# --- training: every staff role takes training and writes suggestions; supervisors
# assign courses, see the team's KPIs and answer the suggestions.
_TRAINING = (
    "training.view_course",
    "training.view_assessment",
    "training.add_attempt",
    "training.view_certificate",
    "training.view_staffkpi",
    "training.add_suggestion",
)
for _role in STAFF_ROLES:
    _EXTRA_PERMISSIONS[_role] = (*_EXTRA_PERMISSIONS[_role], *_TRAINING)
_EXTRA_PERMISSIONS[Role.SUPERVISOR] = (
    *_EXTRA_PERMISSIONS[Role.SUPERVISOR],
    "training.view_assignment",
    "training.add_assignment",
    "training.view_team_kpis",
    "training.view_suggestion",
    "training.change_suggestion",
)

# Contact channels (crm: chat, hotline, mail in, knowledge base, agreements, notices). Every
# staff role reads the knowledge base and its canned answers and sets its console presence;
# the roles whose queues take chats and calls may work them.
_CONTACT_READ = (
    "crm.view_knowledgearticle",
    "crm.view_cannedanswer",
    "crm.view_agentpresence",
    "crm.change_agentpresence",
    "crm.view_ivrnode",
)
_CONTACT_DESK = (
    *_CONTACT_READ,
    "crm.view_chatsession",
    "crm.change_chatsession",
    "crm.view_inboundcall",
    "crm.change_inboundcall",
)
_CONTACT_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.SERVICE_SPECIALIST: (
        *_CONTACT_DESK,
        "crm.view_inboundemail",
        "crm.view_serviceagreement",
        "crm.add_serviceagreement",
        "crm.view_notice",
    ),
    Role.TECH_SUPPORT: (*_CONTACT_READ, "crm.view_inboundcall", "crm.change_inboundcall"),
    Role.COMPLAINT_COORDINATOR: (
        *_CONTACT_DESK,
        "crm.view_inboundemail",
        "crm.view_serviceagreement",
    ),
    Role.SALES_ADVISOR: (
        *_CONTACT_READ,
        "crm.view_serviceagreement",
        "crm.add_serviceagreement",
        "crm.change_serviceagreement",
    ),
    Role.SUPERVISOR: (
        *_CONTACT_READ,
        "crm.view_chatsession",
        "crm.view_inboundcall",
        "crm.view_inboundemail",
        "crm.view_serviceagreement",
        "crm.change_serviceagreement",
        "crm.view_notice",
        "crm.add_notice",
        "crm.change_notice",
        "crm.view_noticedelivery",
        "crm.retry_noticedelivery",
    ),
    Role.CUSTOMER: (),
}
for _role, _permissions in _CONTACT_PERMISSIONS.items():
    _EXTRA_PERMISSIONS[_role] = (*_EXTRA_PERMISSIONS[_role], *_permissions)

ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    spec.role: (spec.permission, *_EXTRA_PERMISSIONS[spec.role]) for spec in ROLES
}


# Billing commerce: promotions, points, credit phone purchases, arrears. Sales advisors sell
# phones on instalments (and cancel a purchase within the return period); the front desk and
# supervisors read it all; supervisors also pay off or cancel plans.
_BILLING_COMMERCE_READ = (
    "billing.view_promotion",
    "billing.view_promotionredemption",
    "billing.view_pointsaccount",
    "billing.view_pointsentry",
    "billing.view_device",
    "billing.view_instalmentplan",
    "billing.view_instalmentdue",
    "billing.view_instalmentevent",
    "billing.view_arrearscase",
    "billing.view_arrearsevent",
    "billing.view_lowbalancealert",
    "billing.view_creditpolicy",
)
_BILLING_COMMERCE: dict[Role, tuple[str, ...]] = {
    Role.SERVICE_SPECIALIST: _BILLING_COMMERCE_READ,
    Role.SALES_ADVISOR: (
        *_BILLING_COMMERCE_READ,
        "billing.add_instalmentplan",
        "billing.change_instalmentplan",
    ),
    Role.COMPLAINT_COORDINATOR: _BILLING_COMMERCE_READ,
    Role.SUPERVISOR: (*_BILLING_COMMERCE_READ, "billing.change_instalmentplan"),
}
for _role, _permissions in _BILLING_COMMERCE.items():
    ROLE_PERMISSIONS[_role] = (*ROLE_PERMISSIONS[_role], *_permissions)

# Staff workspaces: the sales advisor's plan recommendation reads a line's rated usage
# (behind the same verification gate as every account detail).
ROLE_PERMISSIONS[Role.SALES_ADVISOR] = (
    *ROLE_PERMISSIONS[Role.SALES_ADVISOR],
    "billing.view_usagerecord",
)

# Service reports: the supervisor's dashboard reads company-wide figures and the
# stored monthly service reports; supervisors also generate a month's report.
ROLE_PERMISSIONS[Role.SUPERVISOR] = (
    *ROLE_PERMISSIONS[Role.SUPERVISOR],
    "reports.view_monthlyservicereport",
    "reports.add_monthlyservicereport",
)
