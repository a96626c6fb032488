"""Demo tickets for the demo customers, loaded by ``seed_demo`` after ``crm.demo``/``billing.demo``.

Every ticket is opened and worked through ``complaints.services`` and ``complaints.surveys`` by
the demo staff of ``portal.demo`` (each assignee has the role of the ticket's queue), so the demo
shows every status (new, assigned, in progress, waiting for the customer, resolved with its survey
scheduled, closed, cancelled) and every kind, with internal and customer-visible notes, a billing
dispute credited within the coordinator's limit, a complaint escalated by the SLA sweep, a survey
answered with a low score (which reopens its ticket) and one left unanswered that became a
callback.

A ticket is keyed on its customer and subject, so a second run of ``seed_demo`` creates nothing.
A step counts the tickets and notes it writes itself, not what the services add alongside
(history, surveys, callbacks, notifications, the resolution note, the ledger credit).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from complaints.choices import (
    NoteVisibility,
    SurveyStatus,
    TicketCategory,
    TicketKind,
    TicketStatus,
)
from complaints.delivery import deliver_now
from complaints.escalation import escalate_breached_tickets
from complaints.models import Survey, Ticket
from complaints.services import (
    add_note,
    assign_ticket,
    open_ticket,
    resolve_ticket,
    transition_ticket,
)
from complaints.surveys import answer_survey, create_due_callbacks, send_survey
from crm.choices import Channel
from crm.demo import DEMO_CUSTOMERS, ORDER_NOTE
from crm.models import Customer, ServiceOrder

# Who opens the demo tickets: the first-contact specialist who took the call or chat.
RECEPTION_USERNAME = "specialist"
# The demo staff of portal.demo who work the tickets, each in the queue of their role.
STAFF_USERNAMES = ("specialist", "specialist2", "engineer", "coordinator", "supervisor")
INTERNAL = NoteVisibility.INTERNAL
CUSTOMER = NoteVisibility.CUSTOMER


# --- what happens to a ticket after it is opened, in order ---------------------------------


@dataclass(frozen=True)
class Assign:
    """``username`` takes the ticket (a new one becomes assigned)."""

    username: str

    def apply(self, ticket: Ticket, staff: dict) -> Ticket:
        user = staff[self.username]
        return assign_ticket(ticket, user, actor=user)


@dataclass(frozen=True)
class Move:
    status: TicketStatus
    by: str
    reason: str = ""

    def apply(self, ticket: Ticket, staff: dict) -> Ticket:
        return transition_ticket(ticket, self.status, actor=staff[self.by], reason=self.reason)


@dataclass(frozen=True)
class Note:
    by: str
    visibility: NoteVisibility
    body: str

    def apply(self, ticket: Ticket, staff: dict) -> Ticket:
        add_note(ticket, author=staff[self.by], body=self.body, visibility=self.visibility)
        return ticket


@dataclass(frozen=True)
class Resolve:
    """Resolve with a summary for the customer; a billing dispute may grant ``adjustment``."""

    by: str
    resolution: str
    adjustment: str | None = None
    adjustment_reason: str = ""

    def apply(self, ticket: Ticket, staff: dict) -> Ticket:
        return resolve_ticket(
            ticket,
            actor=staff[self.by],
            resolution=self.resolution,
            adjustment_amount=self.adjustment,
            adjustment_reason=self.adjustment_reason,
        )


@dataclass(frozen=True)
class SendSurvey:
    """Send the survey the resolution scheduled now, as the beat sweep does once it is due."""

    def apply(self, ticket: Ticket, staff: dict) -> Ticket:
        survey = Survey.objects.get(ticket=ticket, status=SurveyStatus.SCHEDULED)
        deliver_now(send_survey(survey.pk))
        return ticket


@dataclass(frozen=True)
class AnswerSurvey:
    """The customer's answer through the link; a low score reopens the ticket."""

    score: int
    resolved: bool
    comment: str

    def apply(self, ticket: Ticket, staff: dict) -> Ticket:
        survey = Survey.objects.get(ticket=ticket, status=SurveyStatus.SENT)
        answer_survey(survey, score=self.score, resolved=self.resolved, comment=self.comment)
        ticket.refresh_from_db()
        return ticket


@dataclass(frozen=True)
class CallbackForSilence:
    """The callback sweep as it will run once the sent survey has gone unanswered too long."""

    def apply(self, ticket: Ticket, staff: dict) -> Ticket:
        survey = Survey.objects.get(ticket=ticket, status=SurveyStatus.SENT)
        # The sweep only hands over surveys unanswered for COMPLAINTS_CALLBACK_AFTER_HOURS; the
        # demo cannot wait that long, so it runs the sweep as of a minute past that time.
        later = survey.sent_at + datetime.timedelta(
            hours=settings.COMPLAINTS_CALLBACK_AFTER_HOURS, minutes=1
        )
        create_due_callbacks(now=later)
        return ticket


@dataclass(frozen=True)
class BreachAndSweep:
    """Let the resolution deadline pass and run the SLA sweep, which escalates the ticket."""

    def apply(self, ticket: Ticket, staff: dict) -> Ticket:
        # No service moves a deadline backwards, and the demo cannot wait 48 hours for the SLA
        # to run out: shift this one ticket's deadlines so the resolution was due an hour ago
        # (demo set-up, like a fixture), then let the real sweep escalate it.
        now = timezone.now()
        shift = ticket.resolution_due_at - (now - datetime.timedelta(hours=1))
        Ticket.objects.filter(pk=ticket.pk).update(
            response_due_at=F("response_due_at") - shift,
            resolution_due_at=F("resolution_due_at") - shift,
        )
        escalate_breached_tickets(now=now)
        ticket.refresh_from_db()
        return ticket


Action = (
    Assign | Move | Note | Resolve | SendSurvey | AnswerSurvey | CallbackForSilence | BreachAndSweep
)


@dataclass(frozen=True)
class DemoTicket:
    """A ticket of a ``crm.demo`` customer (``line``: the key of one of their DemoLines)."""

    customer: str
    line: str
    kind: TicketKind
    category: TicketCategory
    channel: Channel
    subject: str
    description: str
    story: tuple[Action, ...] = ()


FAULT = TicketKind.FAULT
COMPLAINT = TicketKind.COMPLAINT
DISPUTE = TicketKind.BILLING_DISPUTE
INQUIRY = TicketKind.INQUIRY

DEMO_TICKETS: tuple[DemoTicket, ...] = (
    DemoTicket(
        "C05",
        "C05-L1",
        FAULT,
        TicketCategory.MOBILE_SIGNAL,
        Channel.HOTLINE,
        "家中室内手机信号弱，通话经常中断",
        "客户反映近一周在家中（南京市玄武区中山路18号）室内只有一格信号，接打电话经常中断，"
        "到阳台上信号正常。",
        story=(
            Note(
                "specialist",
                INTERNAL,
                "已指导客户重启手机、重新插拔SIM卡并检查网络设置，问题依旧，转技术支持处理。",
            ),
        ),
    ),
    DemoTicket(
        "C02",
        "C02-L1",
        INQUIRY,
        TicketCategory.PRODUCTS,
        Channel.ONLINE_CHAT,
        "咨询乐享129套餐包含的流量和通话分钟数",
        "客户正在办理套餐变更，想了解乐享129套餐每月包含的国内流量、通话分钟数和超出后的资费。",
        story=(Assign("specialist2"),),
    ),
    DemoTicket(
        "C09",
        "C09-L2",
        FAULT,
        TicketCategory.BROADBAND,
        Channel.HOTLINE,
        "宽带每天晚上频繁掉线",
        "客户反映最近每天晚上8点到11点宽带频繁掉线，每次断开几分钟后自动恢复，光猫LOS灯偶尔闪红。",
        story=(
            Assign("engineer"),
            Move(TicketStatus.IN_PROGRESS, by="engineer"),
            Note(
                "engineer",
                INTERNAL,
                "远程检测光猫接收光功率 -27.5 dBm，偏低；怀疑楼道分光器接头老化，需上门检查。",
            ),
            Note(
                "engineer",
                CUSTOMER,
                "您好，工程师已远程检测您的宽带线路，发现光信号偏弱，我们将联系您预约上门检修。",
            ),
        ),
    ),
    DemoTicket(
        "C04",
        "C04-L1",
        COMPLAINT,
        TicketCategory.SERVICE_QUALITY,
        Channel.HOTLINE,
        "营业厅办理业务排队时间过长，工作人员态度冷淡",
        "客户投诉上周六在营业厅办理第二张号卡时排队超过一小时，办理过程中工作人员态度冷淡，"
        "未说明所需资料。",
        story=(
            Assign("coordinator"),
            Move(TicketStatus.IN_PROGRESS, by="coordinator"),
            Note(
                "coordinator",
                CUSTOMER,
                "您好，为便于核实，请告知您办理业务的具体日期、时间段和营业厅名称。",
            ),
            Move(TicketStatus.WAITING_CUSTOMER, by="coordinator"),
        ),
    ),
    DemoTicket(
        "C06",
        "C06-L1",
        DISPUTE,
        TicketCategory.BILLING,
        Channel.HOTLINE,
        "本月账单流量费异常，对国内上网流量费有异议",
        "客户本月账单中国内上网流量费 86.40 元。客户称当月已订购流量包，不应按 0.0003 元/KB "
        "另行计费，要求核实并退还。",
        story=(
            Assign("coordinator"),
            Move(TicketStatus.IN_PROGRESS, by="coordinator"),
            Note(
                "coordinator",
                INTERNAL,
                "核查话单：流量包订购因系统割接延迟一天生效，期间流量按标准资费计费，属我方原因。",
            ),
            Resolve(
                "coordinator",
                "经核实，您订购的流量包因系统原因延迟生效，"
                "期间产生的流量费 86.40 元已退还至您的账户。",
                adjustment="86.40",
                adjustment_reason="流量包延迟生效，退还期间流量费",
            ),
        ),
    ),
    DemoTicket(
        "C01",
        "C01-L1",
        INQUIRY,
        TicketCategory.BILLING,
        Channel.HOTLINE,
        "查询上月话费清单中的国内长途费用",
        "客户对上月话费清单中的国内长途通话费用有疑问，希望了解长途和漫游通话的计费标准。",
        story=(
            Assign("specialist"),
            Move(TicketStatus.IN_PROGRESS, by="specialist"),
            Resolve(
                "specialist",
                "已向您说明：主叫国内长途 0.30 元/分钟，"
                "国内漫游主叫 0.60 元/分钟、被叫 0.40 元/分钟；上月长途通话 42 分钟，计费无误。",
            ),
            SendSurvey(),
            AnswerSurvey(5, True, "客服解释得很清楚，谢谢。"),
            Move(TicketStatus.CLOSED, by="specialist"),
        ),
    ),
    DemoTicket(
        "C03",
        "C03-L2",
        FAULT,
        TicketCategory.FIXED_LINE,
        Channel.HOTLINE,
        "固定电话无拨号音",
        "客户反映家中固定电话拿起听筒没有拨号音，无法拨出也无法接听来电。",
        story=(
            Move(
                TicketStatus.CANCELLED,
                by="specialist",
                reason="客户回电告知是话机电源线松动，重新插好后已恢复正常。",
            ),
        ),
    ),
    DemoTicket(
        "C07",
        "C07-L1",
        COMPLAINT,
        TicketCategory.MOBILE_DATA,
        Channel.HOTLINE,
        "多次报修手机无法上网仍未解决",
        "客户反映手机无法上网的问题已反映多次，每次都说会处理但至今未解决，对处理进度非常不满，"
        "要求投诉。",
        story=(
            Assign("coordinator"),
            Move(TicketStatus.IN_PROGRESS, by="coordinator"),
            Note(
                "coordinator",
                INTERNAL,
                "已联系技术支持核查该号码的数据业务开通状态，等待网络侧回复。",
            ),
            BreachAndSweep(),
        ),
    ),
    DemoTicket(
        "C01",
        "C01-L2",
        FAULT,
        TicketCategory.BROADBAND,
        Channel.WEB_PORTAL,
        "宽带网速远低于签约的300M",
        "客户签约300M宽带，有线连接测速只有40M左右，晚上更慢，已重启光猫和路由器。",
        story=(
            Assign("engineer"),
            Move(TicketStatus.IN_PROGRESS, by="engineer"),
            Note(
                "engineer",
                INTERNAL,
                "上门更换了入户光纤跳线，现场测速 280M。"
                "客户家中路由器为百兆口，已建议更换千兆路由器。",
            ),
            Resolve(
                "engineer",
                "工程师已上门更换入户光纤跳线，现场测速达到280M。建议您更换支持千兆网口的路由器。",
            ),
            SendSurvey(),
            AnswerSurvey(1, False, "工程师来过之后用自己的电脑测速还是只有几十兆，问题没有解决。"),
        ),
    ),
    DemoTicket(
        "C08",
        "C08-L1",
        FAULT,
        TicketCategory.MOBILE_SIGNAL,
        Channel.HOTLINE,
        "小区地下车库手机没有信号",
        "客户反映所住小区地下车库完全没有手机信号，无法打电话，也无法使用移动支付缴纳停车费。",
        story=(
            Assign("engineer"),
            Move(TicketStatus.IN_PROGRESS, by="engineer"),
            Resolve(
                "engineer",
                "已协调网络优化部门在地下车库增设室内分布系统，目前车库内信号已恢复正常。",
            ),
            SendSurvey(),
            CallbackForSilence(),
        ),
    ),
)


def _staff() -> dict:
    return get_user_model().objects.in_bulk(STAFF_USERNAMES, field_name="username")


@transaction.atomic
def seed_demo_ticket(spec: DemoTicket) -> int:
    """Open the ticket and play its story unless it exists; return how many records were made."""
    customer_spec = next(c for c in DEMO_CUSTOMERS if c.key == spec.customer)
    customer = Customer.objects.get(
        document_type=customer_spec.document_type, document_number=customer_spec.document_number
    )
    if Ticket.objects.filter(customer=customer, subject=spec.subject).exists():
        return 0
    staff = _staff()
    # The crm demo keys each line's opening order on its note: the order names the line.
    line = ServiceOrder.objects.get(notes=ORDER_NOTE % spec.line).subscription
    ticket = open_ticket(
        kind=spec.kind,
        category=spec.category,
        customer=customer,
        subscription=line,
        subject=spec.subject,
        description=spec.description,
        channel=spec.channel,
        actor=staff[RECEPTION_USERNAME],
    )
    for action in spec.story:
        ticket = action.apply(ticket, staff)
    return 1 + sum(isinstance(action, Note) for action in spec.story)


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        (f"ticket {spec.customer} {spec.kind}", lambda spec=spec: seed_demo_ticket(spec))
        for spec in DEMO_TICKETS
    ]
