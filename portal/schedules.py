"""The periodic tasks the platform creates on migrate; each app adds its own entries here.

Long delays are never broker countdowns (a Redis visibility timeout would run them twice):
they are database rows that one of these periodic sweeps claims.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PeriodicTaskSpec:
    name: str
    task: str
    description: str
    every_seconds: int | None = None
    # "minute hour day_of_month month_of_year day_of_week", in Asia/Shanghai time.
    crontab: str | None = None

    def __post_init__(self):
        if (self.every_seconds is None) == (self.crontab is None):
            raise ValueError(f"{self.name}: give exactly one of every_seconds or crontab")


DEFAULT_PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="portal: worker heartbeat",
        task="portal.tasks.record_heartbeat",
        description=_("Proves that beat and a worker run; /healthz reports its age."),
        every_seconds=60,
    ),
    PeriodicTaskSpec(
        name="billing: monthly bill run",
        task="billing.tasks.run_bill_run_task",
        description=_("Closes the previous month on the 1st: monthly fees and one bill per line."),
        crontab="0 2 1 * *",
    ),
    PeriodicTaskSpec(
        name="complaints: SLA escalation sweep",
        task="complaints.tasks.escalate_breached_tickets_task",
        description=_("Escalates tickets past a response or resolution deadline, once per breach."),
        every_seconds=60,
    ),
    PeriodicTaskSpec(
        name="complaints: send due surveys",
        task="complaints.tasks.dispatch_due_surveys",
        description=_("Sends the satisfaction surveys whose delay after resolution has passed."),
        every_seconds=60,
    ),
    PeriodicTaskSpec(
        name="complaints: callbacks for unanswered surveys",
        task="complaints.tasks.create_due_callbacks_task",
        description=_("Puts a callback in a specialist's queue for surveys left unanswered."),
        every_seconds=600,
    ),
    PeriodicTaskSpec(
        name="complaints: deliver notifications",
        task="complaints.tasks.deliver_pending_notifications",
        description=_(
            "Sends queued e-mails and SMS to customers and staff; each run lasts at most "
            "OUTBOX_SWEEP_SECONDS, so runs overlap and share a backlog between workers."
        ),
        every_seconds=10,
    ),
    PeriodicTaskSpec(
        name="billing: charge due instalments",
        task="billing.tasks.charge_due_instalments_task",
        description=_("Charges device instalments on their dates; unpaid ones become overdue."),
        crontab="5 * * * *",
    ),
    PeriodicTaskSpec(
        name="billing: arrears and low-balance sweep",
        task="billing.tasks.review_account_standing_task",
        description=_(
            "Notifies accounts in arrears or low on balance, suspends lines after the grace period."
        ),
        every_seconds=300,
    ),
    PeriodicTaskSpec(
        name="billing: expire points",
        task="billing.tasks.expire_points_task",
        description=_("Expires earned points past their validity, every night."),
        crontab="30 0 * * *",
    ),
)

# --- training -------------------------------------------------------------------------------
DEFAULT_PERIODIC_TASKS += (
    PeriodicTaskSpec(
        name="training: overdue training reminders",
        task="training.tasks.remind_overdue_training",
        description=_("Reminds staff of overdue training and tells their supervisor."),
        crontab="0 9 * * *",
    ),
    PeriodicTaskSpec(
        name="training: remedial training for low satisfaction",
        task="training.tasks.assign_remedial_training_task",
        description=_(
            "Assigns a category's course to staff whose tickets of it score low repeatedly."
        ),
        every_seconds=3600,
    ),
    PeriodicTaskSpec(
        name="training: close attempts past their time limit",
        task="training.tasks.expire_overdue_attempts_task",
        description=_("Scores assessment attempts whose time limit ran out without a submission."),
        every_seconds=300,
    ),
    PeriodicTaskSpec(
        name="training: monthly staff KPIs",
        task="training.tasks.compute_kpis_task",
        description=_("Computes this month's staff KPIs (and last month's final ones early on)."),
        crontab="30 1 * * *",
    ),
)

# --- crm contact channels ---------------------------------------------------------------------
DEFAULT_PERIODIC_TASKS += (
    PeriodicTaskSpec(
        name="crm: chat and call queues",
        task="crm.tasks.sweep_contact_queues",
        description=_("Offers waiting chats and calls to available staff; closes chats left."),
        every_seconds=15,
    ),
    PeriodicTaskSpec(
        name="crm: read the service mailbox",
        task="crm.tasks.fetch_mail_task",
        description=_("Turns new mail into contacts, tickets and replies on tickets."),
        every_seconds=120,
    ),
    PeriodicTaskSpec(
        name="crm: send notices by SMS",
        task="crm.tasks.deliver_pending_notices_task",
        description=_("Texts published notices to the customers they target."),
        every_seconds=30,
    ),
    PeriodicTaskSpec(
        name="crm: agreement reminders and renewals",
        task="crm.tasks.agreement_renewals_task",
        description=_("Reminds customers of agreements ending soon; renews or expires them."),
        crontab="0 8 * * *",
    ),
)

# --- reports ------------------------------------------------------------------------------------
DEFAULT_PERIODIC_TASKS += (
    PeriodicTaskSpec(
        name="reports: daily rollups",
        task="portal.reports.tasks.refresh_rollups_task",
        description=_("Recomputes the dashboard's daily figures of the last days, every night."),
        crontab="10 0 * * *",
    ),
    PeriodicTaskSpec(
        name="reports: monthly service report",
        task="portal.reports.tasks.generate_monthly_report_task",
        description=_("Writes last month's service report (PDF) on the 1st, after the bill run."),
        crontab="0 4 1 * *",
    ),
)
