"""The hotline's voice menu, the first help articles and the desk's canned answers.

Real content, not demo data: the menu follows 客服呼叫流程 (语音导航, self-service, "0" for a
person), the articles the operator documents (查询话费, 故障报修, 11.2 客户隐私保护, 11.3 防范网络
诈骗). All of it is editable in the admin; this migration only fills an empty table.
"""

import re

from django.db import migrations

IVR = {
    "label": "欢迎语",
    "prompt": "您好，欢迎致电客户服务热线。",
    "children": [
        {"key": "1", "label": "话费余额查询", "action": "balance", "prompt": "话费余额查询。"},
        {"key": "2", "label": "账单短信", "action": "bill_sms", "prompt": "账单查询。"},
        {
            "key": "3",
            "label": "故障报修",
            "prompt": "故障报修。",
            "children": [
                {
                    "key": "1",
                    "label": "手机信号与上网",
                    "action": "agent",
                    "target_role": "tech_support_engineer",
                    "prompt": "正在为您转接技术支持工程师，请稍候。",
                },
                {
                    "key": "2",
                    "label": "宽带故障",
                    "action": "agent",
                    "target_role": "tech_support_engineer",
                    "prompt": "正在为您转接技术支持工程师，请稍候。",
                },
                {
                    "key": "3",
                    "label": "固话故障",
                    "action": "agent",
                    "target_role": "tech_support_engineer",
                    "prompt": "正在为您转接技术支持工程师，请稍候。",
                },
            ],
        },
        {
            "key": "4",
            "label": "业务办理与咨询",
            "action": "agent",
            "target_role": "service_specialist",
            "prompt": "正在为您转接客户服务专员，请稍候。",
        },
        {
            "key": "5",
            "label": "投诉与建议",
            "action": "agent",
            "target_role": "complaint_coordinator",
            "prompt": "正在为您转接投诉协调员，请稍候。",
        },
        {
            "key": "0",
            "label": "人工服务",
            "action": "agent",
            "target_role": "service_specialist",
            "prompt": "正在为您转接人工服务，请稍候。",
        },
    ],
}

ARTICLES = [
    {
        "slug": "check-balance-and-bills",
        "category": "billing",
        "title": "如何查询话费余额和账单",
        "keywords": "余额 话费 账单 查询 详单 发票",
        "body": (
            "您可以通过以下方式查询话费余额和账单：\n"
            "1. 拨打客户服务热线，按1查询余额，按2将最近一期账单以短信发送到您的手机；\n"
            "2. 登录网上营业厅，在“余额与账单”中查看余额、每月账单、通话和上网详单，并下载电子发票；\n"
            "3. 携带有效身份证件到任一营业厅查询。"
        ),
        "title_en": "How to check your balance and bills",
        "body_en": (
            "Call the hotline and press 1 for your balance or 2 to get your last bill by SMS; "
            "or sign in to the self-service portal and open Balance and bills for monthly bills, "
            "itemised lists and e-invoices; or visit any business hall with your ID."
        ),
    },
    {
        "slug": "dispute-a-charge",
        "category": "billing",
        "title": "对账单费用有疑问怎么办",
        "keywords": "扣费 多扣 乱收费 退费 争议 账单有误",
        "body": (
            "如果您认为账单有误：\n"
            "1. 先在“余额与账单”中查看该月的通话、短信和上网详单；\n"
            "2. 在“我的工单”中选择“账单争议”并说明哪一笔费用有疑问；\n"
            "3. 投诉协调员会核实计费记录，确认多收的费用将以调账方式退回您的账户，并短信通知您。"
        ),
        "title_en": "Questioning a charge on your bill",
        "body_en": (
            "Check the itemised list of the month first, then open a billing dispute under My "
            "tickets naming the charge. A complaint coordinator checks the records; anything "
            "charged wrongly is credited back to your account and you are told by SMS."
        ),
    },
    {
        "slug": "data-cut-off",
        "category": "data",
        "title": "流量用完后无法上网怎么办",
        "keywords": "流量 上网 用完 上不了网 封顶 断网 恢复上网 套餐",
        "body": (
            "为防止产生高额费用，大众卡每月上网流量达到封顶值后将暂停上网。"
            "如需继续使用，可在营业厅或通过客服热线申请恢复上网，恢复后按套餐约定的资费计费；"
            "次月1日起自动恢复。经常用完流量的用户，建议变更为流量更多的套餐。"
        ),
        "title_en": "",
        "body_en": "",
    },
    {
        "slug": "slow-mobile-data",
        "category": "data",
        "title": "手机上网速度慢怎么办",
        "keywords": "网速慢 信号差 上网慢 4G 5G",
        "body": (
            "请先开关一次飞行模式，确认手机已开启移动数据且未达到流量封顶；"
            "在室内或地下室信号可能较弱，可移步窗边再试。问题仍然存在时，"
            "请在“我的工单”报修并注明地点和时间，技术支持工程师会优先处理。"
        ),
        "title_en": "Mobile data is slow",
        "body_en": (
            "Toggle flight mode once, check mobile data is on and the monthly cut-off not "
            "reached, and try near a window. If it stays slow, report a fault under My tickets "
            "with the place and time: faults are handled first."
        ),
    },
    {
        "slug": "broadband-no-connection",
        "category": "broadband",
        "title": "宽带无法上网怎么办",
        "keywords": "宽带 断网 上不了网 光猫 路由器 无法上网 故障",
        "body": (
            "1. 检查光猫的电源灯和光信号灯：光信号灯红色闪烁表示线路故障，请直接报修；\n"
            "2. 依次重启光猫和路由器，等待三分钟后再试；\n"
            "3. 用网线将电脑直接连接光猫，判断是否为路由器问题；\n"
            "4. 仍无法上网，请拨打客服热线按3再按2，或在“我的工单”报修。"
        ),
        "title_en": "Broadband does not connect",
        "body_en": (
            "Check the modem's power and optical lights (a red optical light is a line fault: "
            "report it), restart the modem and the router and wait three minutes, try a cable "
            "straight to the modem; still down, call the hotline (3 then 2) or report a fault."
        ),
    },
    {
        "slug": "fixed-line-no-dial-tone",
        "category": "fixed_line",
        "title": "固话没有拨号音怎么办",
        "keywords": "固话 座机 拨号音 无法通话 故障",
        "body": (
            "请检查电话线是否插好、话机电源是否正常，换一部话机试试；"
            "如仍无拨号音，可能是线路故障，请拨打客服热线按3再按3报修。"
        ),
        "title_en": "",
        "body_en": "",
    },
    {
        "slug": "how-we-protect-your-data",
        "category": "privacy_security",
        "title": "我们如何保护您的个人信息",
        "keywords": "隐私 个人信息 身份证 服务密码 身份核实 安全",
        "body": (
            "为保障您的账户安全，客服人员在办理业务前会核实您的身份（身份证号和姓名、六位服务密码或发送到"
            "您登记手机的验证码）。您的身份证号和手机号在所有页面上默认隐藏中间部分，"
            "只有经授权的员工在核实后才能查看，每次查看都有记录。请妥善保管服务密码。"
        ),
        "title_en": "How we protect your personal data",
        "body_en": (
            "Before discussing your account, staff verify who you are (ID number and name, your "
            "six-digit service password, or a code sent to your phone on file). ID and phone "
            "numbers are masked everywhere; a full value is shown only to authorised staff after "
            "verification, and every look is logged."
        ),
    },
    {
        "slug": "beware-of-telecom-fraud",
        "category": "fraud_prevention",
        "title": "警惕电信网络诈骗",
        "keywords": "诈骗 验证码 转账 冒充客服 钓鱼 短信 反诈",
        "body": (
            "我们的客服人员不会通过电话或短信向您索要验证码、银行卡密码，也不会要求您转账或"
            "下载陌生软件。对自称“客服”“公检法”要求转账的来电，请立即挂断，并拨打官方客服热线核实。"
            "不要点击陌生短信中的链接。如已被骗，请立即拨打110报警。"
        ),
        "title_en": "Beware of telecom fraud",
        "body_en": (
            "Our staff never ask for verification codes or bank passwords, never ask you to "
            "transfer money or install unknown apps. Hang up on such callers and call the official "
            "hotline; do not open links in unknown SMS; if you were defrauded, call 110 at once."
        ),
    },
    {
        "slug": "suspicious-sms-or-call",
        "category": "fraud_prevention",
        "title": "收到可疑短信或来电怎么办",
        "keywords": "可疑 短信 来电 诈骗 举报 拦截",
        "body": (
            "收到中奖、退款、积分兑换等可疑短信，请勿点击链接或回复；"
            "接到可疑来电，请记下号码后挂断。您可以在“我的工单”中提交举报，我们会核查并拦截相关号码。"
        ),
        "title_en": "",
        "body_en": "",
    },
    {
        "slug": "desk-caller-verification",
        "category": "privacy_security",
        "audience": "staff",
        "title": "来电身份核实流程（员工）",
        "keywords": "身份核实 验证 服务密码 短信验证码 锁定",
        "body": (
            "1. 接听后先报工号并告知本次联系编号；\n"
            "2. 办理涉及账户的业务前，先完成身份核实：身份证号和姓名、服务密码或短信验证码；\n"
            "3. 连续三次核实失败将锁定30分钟，请告知客户稍后再试或持证件到营业厅办理；\n"
            "4. 核实通过前不得透露余额、账单和详单。"
        ),
        "title_en": "Verifying a caller (staff)",
        "body_en": "",
    },
]

CANNED = [
    {
        "title": "问候语",
        "body": "您好，我是客户服务专员，很高兴为您服务。请问有什么可以帮您？",
        "body_en": "Hello, this is customer service. How can I help you?",
        "position": 1,
    },
    {
        "title": "身份核实",
        "body": (
            "为了保障您的账户安全，需要先核实您的身份。请提供六位服务密码，"
            "或者我们向您登记的手机号发送一条验证码。"
        ),
        "body_en": (
            "To keep your account safe, we need to verify who you are: your six-digit service "
            "password, or a code we text to your phone on file."
        ),
        "position": 2,
    },
    {
        "title": "宽带故障排查",
        "body": "请您先依次重启光猫和路由器，等待三分钟后再试。如果光信号灯是红色，说明线路故障，我们马上为您报修。",
        "body_en": "",
        "role": "tech_support_engineer",
        "queue": "tech_support",
        "article": "broadband-no-connection",
        "position": 3,
    },
    {
        "title": "防诈骗提醒",
        "body": "温馨提示：我们的客服不会向您索要短信验证码或要求转账，请勿向任何人透露验证码。",
        "body_en": "Reminder: we never ask for SMS codes or transfers. Never tell anyone your code.",
        "article": "beware-of-telecom-fraud",
        "position": 4,
    },
    {
        "title": "结束语",
        "body": "感谢您的耐心，请问还有其他可以帮您的吗？稍后请对本次服务进行评价，谢谢。",
        "body_en": "Thank you. Is there anything else? Please rate this conversation afterwards.",
        "position": 9,
    },
]


def _search_text(*parts):
    return re.sub(r"\s+", " ", " ".join(part for part in parts if part)).strip().lower()


def _add_ivr(IvrNode, spec, parent=None, position=0):
    node = IvrNode.objects.create(
        parent=parent,
        key=spec.get("key", ""),
        label=spec["label"],
        prompt=spec["prompt"],
        action=spec.get("action", "menu"),
        target_role=spec.get("target_role", ""),
        position=position,
    )
    for index, child in enumerate(spec.get("children", []), start=1):
        _add_ivr(IvrNode, child, node, index)


def load(apps, schema_editor):
    IvrNode = apps.get_model("crm", "IvrNode")
    KnowledgeArticle = apps.get_model("crm", "KnowledgeArticle")
    CannedAnswer = apps.get_model("crm", "CannedAnswer")
    if not IvrNode.objects.exists():
        _add_ivr(IvrNode, IVR)
    if not KnowledgeArticle.objects.exists():
        for spec in ARTICLES:
            KnowledgeArticle.objects.create(
                audience=spec.get("audience", "public"),
                search_text=_search_text(
                    spec["title"], spec["keywords"], spec["body"], spec["title_en"], spec["body_en"]
                ),
                **{key: value for key, value in spec.items() if key != "audience"},
            )
    if not CannedAnswer.objects.exists():
        for spec in CANNED:
            article = spec.get("article")
            CannedAnswer.objects.create(
                title=spec["title"],
                body=spec["body"],
                body_en=spec["body_en"],
                role=spec.get("role", ""),
                queue=spec.get("queue", ""),
                position=spec["position"],
                article=KnowledgeArticle.objects.filter(slug=article).first() if article else None,
            )


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_contact_channels")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
