"""Who may see the service reports: supervisors.

The dashboard is the supervisor's workspace (``portal.access_supervisor_workspace``) and reads
company-wide figures, so it also takes ``reports.view_monthlyservicereport``; generating a
monthly report takes ``reports.add_monthlyservicereport``. Both are granted to the supervisor
role only (``portal.roles``); every other role gets 403, anonymous visitors the sign-in page.
"""

from portal.roles import ROLE_SPECS, Role

VIEW_REPORTS = "reports.view_monthlyservicereport"
GENERATE_REPORTS = "reports.add_monthlyservicereport"


def may_view_reports(user) -> bool:
    return (
        user.is_authenticated
        and user.has_perm(ROLE_SPECS[Role.SUPERVISOR].permission)
        and user.has_perm(VIEW_REPORTS)
    )


def may_generate_reports(user) -> bool:
    return may_view_reports(user) and user.has_perm(GENERATE_REPORTS)
