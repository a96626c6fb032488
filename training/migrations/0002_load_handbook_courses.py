"""Load the reference courses, in Chinese: the seven chapters of the staff handbook
(电信公司客服员工手册, with 客户服务岗位职责 and 营业厅 ch.12 where they belong) and the
"must know" lists of the four roles (客服部各岗位应知应会), each with a question bank and an
assessment; the remedial course of each ticket category; the default incentive schemes."""

from decimal import Decimal as D

from django.db import migrations

ALL_STAFF = [
    "service_specialist",
    "tech_support_engineer",
    "complaint_coordinator",
    "sales_advisor",
    "supervisor",
]
FRONT_LINE = ["service_specialist", "complaint_coordinator", "sales_advisor", "supervisor"]
T, F = True, False

# (code, title, source, roles, summary, modules [(title, markdown)], questions)
# A question: ("single" | "multiple", text, [(option, correct), ...]) or ("true_false", text, answer)
COURSES = [
    (
        "handbook-1",
        "员工手册 第一章：公司概况",
        "handbook",
        ALL_STAFF,
        "了解公司的历史背景、经营范围和发展愿景，明确公司定位。",
        [
            (
                "1.1 公司介绍",
                "本章全面介绍电信公司的**历史背景**、**经营范围**、**发展愿景**等相关内容，"
                "帮助员工全面了解公司背景和定位。\n\n"
                "学习要点：\n\n"
                "- 公司的历史背景与发展历程；\n"
                "- 公司的经营范围：移动电话、宽带、固话、增值业务等电信服务；\n"
                "- 公司的发展愿景，以及客户服务在其中的作用。",
            ),
        ],
        [
            ("single", "员工手册第一章“公司概况”的目的是什么？", [
                ("帮助员工全面了解公司背景和定位", T),
                ("规定员工的考勤制度", F),
                ("介绍客服系统的登录方法", F),
                ("说明投诉处理的流程", F),
            ]),
            ("multiple", "“公司介绍”一节介绍了哪些内容？", [
                ("历史背景", T), ("经营范围", T), ("发展愿景", T), ("竞争对手的价格", F),
            ]),
            ("true_false", "了解公司的背景和定位，与客服人员的日常工作无关。", F),
            ("true_false", "公司概况一章属于客服员工手册的内容。", T),
            ("single", "以下哪一项属于电信公司的经营范围？", [
                ("移动电话、宽带、固话和增值业务", T),
                ("房地产开发", F),
                ("食品加工", F),
                ("汽车制造", F),
            ]),
        ],
    ),
    (
        "handbook-2",
        "员工手册 第二章：岗位职责",
        "handbook",
        ALL_STAFF,
        "客服岗位的职责范围、与其他部门的协作，以及客户服务岗位职责说明。",
        [
            (
                "2.1 客服岗位职责",
                "客服岗位的职责范围包括**接听电话、解答用户问题、处理投诉**等。\n\n"
                "员工在工作过程中要保持**礼貌、耐心和高效解决问题**的态度。",
            ),
            (
                "2.2 协作与配合",
                "客服岗位与其他部门之间是协作关系。鼓励员工积极与其他部门合作，"
                "提高团队协作效率，确保客户的满意度。",
            ),
            (
                "2.3 客户服务岗位职责说明",
                "**职位概述**：致力于提供高质量的客户服务，解决客户问题，"
                "并确保客户对公司产品和服务的满意度。\n\n"
                "**主要职责**\n\n"
                "- 接听电话，处理和解答客户的咨询、投诉和问题；\n"
                "- 根据公司政策和流程，为客户提供准确和及时的解决方案；\n"
                "- 记录和跟踪客户咨询和投诉，并保持及时的沟通和信息更新；\n"
                "- 协调与其他部门的合作，解决客户问题和交付客户需求；\n"
                "- 通过电子邮件、在线聊天、社交媒体等渠道与客户进行沟通和互动；\n"
                "- 提供产品和服务的相关信息和指导，以满足客户的需求和期望；\n"
                "- 定期收集客户反馈，并向相关部门提供改进建议；\n"
                "- 参与客户服务培训和知识分享活动，不断提高客户服务水平。\n\n"
                "**任职要求**：良好的沟通能力和解决问题的能力；较好的客户服务意识和服务态度；"
                "良好的研究能力和团队合作精神；良好的计算机和技术应用能力；"
                "良好的时间管理和组织能力；流利的口语和书写能力。\n\n"
                "**工作环境**：室内办公；可能需要轮班和加班；需要长时间使用计算机和电话；"
                "需要与不同类型的客户进行交流。",
            ),
        ],
        [
            ("multiple", "客服岗位的职责范围包括哪些？", [
                ("接听电话", T), ("解答用户问题", T), ("处理投诉", T), ("审批公司预算", F),
            ]),
            ("single", "员工在工作中应保持怎样的态度？", [
                ("礼貌、耐心和高效解决问题", T),
                ("只回答与本部门有关的问题", F),
                ("尽量缩短通话，不必解决问题", F),
                ("遇到困难时让客户另行投诉", F),
            ]),
            ("true_false", "客服人员应积极与其他部门合作，以确保客户的满意度。", T),
            ("true_false", "记录和跟踪客户的咨询和投诉不属于客服岗位的职责。", F),
            ("single", "客户服务岗位定期收集客户反馈后应当怎么做？", [
                ("向相关部门提供改进建议", T),
                ("存档后不做处理", F),
                ("只在年终总结时使用", F),
                ("转交客户本人", F),
            ]),
        ],
    ),
    (
        "handbook-3",
        "员工手册 第三章：沟通技巧",
        "handbook",
        ALL_STAFF,
        "与客户有效沟通的原则，以及用非暴力沟通化解客户的情绪化问题。",
        [
            (
                "3.1 有效沟通原则",
                "客服人员与客户沟通时需要遵循的原则：\n\n"
                "1. **倾听**：耐心、细心地听取客户的描述，不中途打断；\n"
                "2. **表达清晰**：用简明扼要的语句说明方案和操作步骤；\n"
                "3. **耐心**：给客户足够的时间，确认客户理解了解决方法。",
            ),
            (
                "3.2 非暴力沟通",
                "学会使用非暴力沟通的方法，帮助解决客户可能出现的**情绪化问题**，"
                "提供更好的服务体验。面对情绪激动的客户，先体察和回应对方的感受与需要，"
                "再讨论具体的解决办法。",
            ),
        ],
        [
            ("multiple", "有效沟通原则包括哪些？", [
                ("倾听", T), ("表达清晰", T), ("耐心", T), ("打断客户以节省时间", F),
            ]),
            ("single", "非暴力沟通主要帮助客服人员解决什么问题？", [
                ("客户可能出现的情绪化问题", T),
                ("系统登录失败", F),
                ("账单计算错误", F),
                ("网络设备配置", F),
            ]),
            ("true_false", "为了提高效率，客服人员可以在客户描述问题时随时打断。", F),
            ("true_false", "向客户说明解决方案时，应使用简明扼要、清晰的语言。", T),
            ("single", "面对情绪激动的客户，首先应该怎么做？", [
                ("体察并回应客户的感受与需要", T),
                ("立即挂断电话", F),
                ("与客户争辩谁对谁错", F),
                ("要求客户冷静后再来电", F),
            ]),
        ],
    ),
    (
        "handbook-4",
        "员工手册 第四章：客户关系管理",
        "handbook",
        ALL_STAFF,
        "分析客户需求、处理投诉，以及应对网络故障、账单错误等异常情况。",
        [
            (
                "4.1 客户需求分析",
                "准确把握客户需求，分析客户的问题，并**快速给出满意的答复或解决方案**。",
            ),
            (
                "4.2 投诉处理",
                "投诉处理的流程和方法：**迅速响应、高效处理、及时解决**客户投诉，"
                "并在整个过程中保持积极的沟通态度。系统中每张投诉工单都有服务时限（SLA），"
                "超时会自动升级。",
            ),
            (
                "4.3 异常情况处理",
                "处理可能出现的异常情况，例如**网络故障、账单错误**等，并采取相应的应对措施：\n\n"
                "- 网络故障：登记故障工单，转技术支持工程师，故障优先处理；\n"
                "- 账单错误：核对清单，必要时登记账务争议工单，由投诉协调员在授权额度内调账。",
            ),
        ],
        [
            ("multiple", "投诉处理应做到哪些？", [
                ("迅速响应", T), ("高效处理", T), ("及时解决", T), ("拖延到客户放弃", F),
            ]),
            ("single", "发现客户的账单可能有错误时，应如何处理？", [
                ("核对清单，必要时登记账务争议工单", T),
                ("告诉客户账单不可能出错", F),
                ("直接从客户账户扣款", F),
                ("让客户自行联系银行", F),
            ]),
            ("true_false", "网络故障属于员工手册所说的异常情况。", T),
            ("true_false", "投诉处理过程中不需要与客户保持沟通，处理完再通知即可。", F),
            ("single", "客户需求分析的目标是什么？", [
                ("准确把握需求，快速给出满意的答复或解决方案", T),
                ("尽量向客户推销高价套餐", F),
                ("收集客户的私人信息", F),
                ("减少来电数量", F),
            ]),
        ],
    ),
    (
        "handbook-5",
        "员工手册 第五章：系统操作指南",
        "handbook",
        ALL_STAFF,
        "熟练操作客服系统，收集和分析客户数据并撰写数据统计报告。",
        [
            (
                "5.1 客服系统操作",
                "熟练操作客服系统，包括**登录、查询客户信息、处理订单**等功能，"
                "在系统操作上提高工作效率。\n\n"
                "查询客户信息前必须先**核实来电人身份**（身份证号码与姓名、服务密码或短信验证码），"
                "核实通过前只显示脱敏信息。",
            ),
            (
                "5.2 数据统计与报告",
                "收集和分析客户数据，了解如何撰写**数据统计报告**，为公司的决策提供有力支持。",
            ),
        ],
        [
            ("single", "在系统中查看客户账户详情之前必须先做什么？", [
                ("核实来电人的身份", T),
                ("向主管申请", F),
                ("重启系统", F),
                ("让客户到营业厅", F),
            ]),
            ("multiple", "客服系统的常用功能包括哪些？", [
                ("登录", T), ("查询客户信息", T), ("处理订单", T), ("修改他人密码", F),
            ]),
            ("true_false", "数据统计报告可以为公司的决策提供支持。", T),
            ("true_false", "身份核实通过之前，系统也可以完整显示客户的身份证号码。", F),
            ("single", "熟练操作客服系统的主要目的是什么？", [
                ("提高工作效率", T),
                ("减少客户来电", F),
                ("替代身份核实", F),
                ("绕过业务流程", F),
            ]),
        ],
    ),
    (
        "handbook-6",
        "员工手册 第六章：优质服务标准",
        "handbook",
        ALL_STAFF,
        "服务态度与形象，以及高效解决客户问题的流程和技巧。",
        [
            (
                "6.1 服务态度与形象",
                "员工在客户服务中要注重**形象与礼仪**，以**友善、专业和亲切**的服务态度面对客户。",
            ),
            (
                "6.2 问题解决与处理",
                "问题解决流程：\n\n"
                "1. 问题核实：耐心听取客户的描述，与客户共同核实问题所在；\n"
                "2. 提供方案：根据问题的性质与复杂程度提供定制的解决方案，并解释操作步骤；\n"
                "3. 无法即时解决时，告知客户处理流程和预计的解决时间；\n"
                "4. 服务反馈：问题解决后询问客户的满意度。",
            ),
        ],
        [
            ("multiple", "员工手册要求的服务态度是怎样的？", [
                ("友善", T), ("专业", T), ("亲切", T), ("冷淡", F),
            ]),
            ("single", "问题无法即时解决时应当怎么做？", [
                ("告知客户处理流程和预计的解决时间", T),
                ("告诉客户问题无法解决", F),
                ("不做任何说明", F),
                ("建议客户更换运营商", F),
            ]),
            ("true_false", "问题解决后询问客户的满意度是服务反馈的一部分。", T),
            ("true_false", "解决方案只需要给出结论，不必解释具体的操作步骤。", F),
            ("single", "问题解决流程的第一步是什么？", [
                ("与客户共同核实问题所在", T),
                ("立即升级给主管", F),
                ("结束通话", F),
                ("推荐新套餐", F),
            ]),
        ],
    ),
    (
        "handbook-7",
        "员工手册 第七章：自我提升",
        "handbook",
        ALL_STAFF,
        "培训与学习、考核与激励，以及反馈与改进。",
        [
            (
                "7.1 培训与学习",
                "在快速变化的行业中，员工需要**不断学习和提升自己的技能**。公司提供的培训机会"
                "（营业厅指南第十二章“工作人员职责与培训”）：\n\n"
                "- 岗位培训课程与考核（本系统“我的培训”）；\n"
                "- 考核与激励：按月统计的服务指标（处理工单、首次解决率、时限达标率、满意度等）"
                "组成激励得分；\n"
                "- 满意度持续偏低时，系统会自动安排相应的补强课程。",
            ),
            (
                "7.2 反馈与改进",
                "鼓励员工**主动反馈**工作中的问题和建议，推动公司的改进和发展。"
                "在“我的培训”中的**意见反馈**提交建议，主管会给予答复。",
            ),
        ],
        [
            ("single", "员工发现工作中的问题时，手册鼓励怎么做？", [
                ("主动反馈问题和建议", T),
                ("不予理会", F),
                ("只和同事私下议论", F),
                ("等待主管发现", F),
            ]),
            ("true_false", "在快速变化的行业中，员工需要不断学习和提升技能。", T),
            ("true_false", "参加培训与考核和员工的激励没有任何关系。", F),
            ("multiple", "以下哪些属于按月统计的服务指标？", [
                ("处理的工单数", T), ("首次解决率", T), ("客户满意度", T), ("员工的年龄", F),
            ]),
            ("single", "满意度持续偏低时，系统会怎么做？", [
                ("自动安排相应的补强课程并通知主管", T),
                ("自动扣发工资", F),
                ("删除相关工单", F),
                ("不做任何处理", F),
            ]),
        ],
    ),
    (
        "role-service-specialist",
        "应知应会：客户服务专员",
        "role_knowledge",
        ["service_specialist"],
        "客户服务专员是客服部的核心岗位之一，需要具备的知识和技能。",
        [
            (
                "客户服务专员应知应会",
                "- 熟悉电信产品和服务，了解各项业务的办理流程和要求；\n"
                "- 掌握常见问题的解决方法，包括故障排除和投诉处理；\n"
                "- 具备良好的沟通能力，能够与客户进行有效的沟通和信息交流；\n"
                "- 熟练运用客户服务系统和工具，快速处理客户的咨询和问题；\n"
                "- 具备耐心、细心和责任心，能够耐心倾听客户的需求和意见。",
            ),
        ],
        [
            ("multiple", "客户服务专员需要掌握哪些常见问题的解决方法？", [
                ("故障排除", T), ("投诉处理", T), ("网络设备安装", F), ("财务审计", F),
            ]),
            ("true_false", "客户服务专员需要熟悉电信产品和服务，了解各项业务的办理流程和要求。", T),
            ("single", "客户服务专员应具备哪些品质？", [
                ("耐心、细心和责任心", T),
                ("只追求通话速度", F),
                ("只关注销售业绩", F),
                ("只处理简单问题", F),
            ]),
            ("true_false", "客户服务专员不需要熟练使用客户服务系统。", F),
            ("single", "客户服务专员为什么要熟练运用客户服务系统和工具？", [
                ("快速处理客户的咨询和问题", T),
                ("查看其他客户的隐私", F),
                ("减少与客户沟通", F),
                ("代替身份核实", F),
            ]),
        ],
    ),
    (
        "role-tech-support",
        "应知应会：技术支持工程师",
        "role_knowledge",
        ["tech_support_engineer"],
        "负责处理客户网络故障和技术支持的岗位需要具备的知识和技能。",
        [
            (
                "技术支持工程师应知应会",
                "- 熟悉电信网络基础知识，了解网络设备的安装和配置；\n"
                "- 掌握常见故障排除方法，能够快速定位和解决网络故障；\n"
                "- 具备一定的网络安全知识，能够防范和应对网络攻击；\n"
                "- 熟练使用工具软件，能够进行网络测试和性能优化；\n"
                "- 具备团队合作能力，能够与其他部门和供应商进行协作。",
            ),
        ],
        [
            ("single", "技术支持工程师需要快速做到什么？", [
                ("定位和解决网络故障", T),
                ("完成销售任务", F),
                ("审核客户资料", F),
                ("撰写投诉回复", F),
            ]),
            ("true_false", "技术支持工程师需要具备一定的网络安全知识，能够防范和应对网络攻击。", T),
            ("multiple", "技术支持工程师需要掌握哪些内容？", [
                ("电信网络基础知识", T), ("网络设备的安装和配置", T), ("网络测试和性能优化", T),
                ("消费者权益保护法律法规的条文背诵", F),
            ]),
            ("true_false", "技术支持工程师只需独立工作，不需要与其他部门和供应商协作。", F),
            ("single", "熟练使用工具软件能帮助技术支持工程师做什么？", [
                ("进行网络测试和性能优化", T),
                ("修改客户账单", F),
                ("跳过故障工单", F),
                ("查看客户通话内容", F),
            ]),
        ],
    ),
    (
        "role-complaint-coordinator",
        "应知应会：投诉协调员",
        "role_knowledge",
        ["complaint_coordinator"],
        "负责处理客户投诉和纠纷的岗位需要具备的知识和技能。",
        [
            (
                "投诉协调员应知应会",
                "- 熟悉电信相关法律法规，了解消费者权益保护的相关法律法规；\n"
                "- 掌握投诉处理流程，能够妥善处理客户投诉和纠纷；\n"
                "- 具备良好的沟通和协调能力，能够与客户和其他部门进行有效的协调；\n"
                "- 具备分析和解决问题的能力，能够快速找到问题的根源并提出解决方案；\n"
                "- 具备耐心和应变能力，能够处理各种复杂情况和紧急情况。",
            ),
        ],
        [
            ("single", "投诉协调员需要熟悉哪方面的法律法规？", [
                ("电信相关法律法规和消费者权益保护法律法规", T),
                ("建筑施工规范", F),
                ("海关进出口条例", F),
                ("食品安全标准", F),
            ]),
            ("true_false", "投诉协调员需要能够快速找到问题的根源并提出解决方案。", T),
            ("multiple", "投诉协调员需要与哪些对象进行有效协调？", [
                ("客户", T), ("其他部门", T), ("竞争对手", F), ("与投诉无关的第三方", F),
            ]),
            ("true_false", "遇到紧急情况时，投诉协调员可以拒绝处理。", F),
            ("single", "投诉协调员需要具备哪种能力来处理复杂和紧急情况？", [
                ("耐心和应变能力", T),
                ("销售技巧", F),
                ("网络设备配置能力", F),
                ("编程能力", F),
            ]),
        ],
    ),
    (
        "role-sales-advisor",
        "应知应会：销售顾问",
        "role_knowledge",
        ["sales_advisor"],
        "负责向客户推荐电信产品和服务的岗位需要具备的知识和技能。",
        [
            (
                "销售顾问应知应会",
                "- 熟悉电信产品和服务，了解各项业务的优势和特点；\n"
                "- 掌握销售技巧和沟通技巧，能够有效地向客户进行产品推荐和销售；\n"
                "- 具备销售目标和业绩导向，能够完成销售任务和达成业绩指标；\n"
                "- 具备良好的市场分析和竞争意识，能够准确判断客户需求并提供相应解决方案；\n"
                "- 具备良好的服务意识和售后服务能力，能够及时回应客户的咨询和问题。",
            ),
        ],
        [
            ("single", "销售顾问向客户推荐产品的依据应该是什么？", [
                ("准确判断的客户需求", T),
                ("提成最高的产品", F),
                ("库存最多的产品", F),
                ("随意推荐", F),
            ]),
            ("true_false", "销售顾问需要了解各项业务的优势和特点。", T),
            ("multiple", "销售顾问需要掌握哪些技巧？", [
                ("销售技巧", T), ("沟通技巧", T), ("网络故障定位", F), ("账务调整审批", F),
            ]),
            ("true_false", "产品售出之后，销售顾问就不需要回应客户的咨询和问题了。", F),
            ("single", "销售顾问的业绩导向体现在哪里？", [
                ("完成销售任务和达成业绩指标", T),
                ("减少与客户的沟通", F),
                ("只接待老客户", F),
                ("回避售后问题", F),
            ]),
        ],
    ),
]

# The remedial course of each ticket category (员工手册 and 应知应会 where they teach it).
REMEDIAL = {
    "mobile_signal": "role-tech-support",
    "mobile_data": "role-tech-support",
    "broadband": "role-tech-support",
    "fixed_line": "role-tech-support",
    "billing": "handbook-4",
    "service_quality": "handbook-6",
    "products": "role-sales-advisor",
    "other": "handbook-3",
}

# Drawn per attempt, pass mark (%), time limit (minutes), attempts allowed.
ASSESSMENT = (4, D("75.00"), 15, 3)

# name, role, weights (tickets, fcr, sla, satisfaction, interactions, sales, assessments),
# targets (tickets, interactions, sales in yuan)
SCHEMES = [
    ("默认激励方案", "", (2, 1, 2, 3, 1, 0, 1), (60, 200, D("5000.00"))),
    ("客户服务专员激励方案", "service_specialist", (2, 2, 1, 3, 2, 0, 1), (60, 300, D("5000.00"))),
    ("技术支持工程师激励方案", "tech_support_engineer", (3, 0, 3, 2, 0, 0, 1), (40, 100, D("5000.00"))),
    ("投诉协调员激励方案", "complaint_coordinator", (2, 0, 3, 3, 0, 0, 1), (30, 100, D("5000.00"))),
    ("销售顾问激励方案", "sales_advisor", (0, 0, 0, 2, 1, 4, 1), (10, 100, D("20000.00"))),
]


def load(apps, schema_editor):
    Course = apps.get_model("training", "Course")
    CourseRole = apps.get_model("training", "CourseRole")
    Module = apps.get_model("training", "Module")
    Question = apps.get_model("training", "Question")
    Choice = apps.get_model("training", "Choice")
    Assessment = apps.get_model("training", "Assessment")
    RemedialCourse = apps.get_model("training", "RemedialCourse")
    IncentiveScheme = apps.get_model("training", "IncentiveScheme")
    count, pass_mark, minutes, attempts = ASSESSMENT
    for code, title, source, roles, summary, modules, questions in COURSES:
        course = Course.objects.create(code=code, title=title, source=source, summary=summary)
        CourseRole.objects.bulk_create(CourseRole(course=course, role=role) for role in roles)
        Module.objects.bulk_create(
            Module(course=course, position=position, title=module_title, body=body)
            for position, (module_title, body) in enumerate(modules, start=1)
        )
        for kind, text, options in questions:
            question = Question.objects.create(course=course, kind=kind, text=text)
            if kind == "true_false":
                options = [("正确", options is True), ("错误", options is False)]
            Choice.objects.bulk_create(
                Choice(question=question, position=position, text=option, is_correct=correct)
                for position, (option, correct) in enumerate(options)
            )
        Assessment.objects.create(
            course=course,
            title=f"{title} 考核",
            question_count=count,
            pass_mark=pass_mark,
            time_limit_minutes=minutes,
            max_attempts=attempts,
        )
    courses = {course.code: course for course in Course.objects.all()}
    for category, code in REMEDIAL.items():
        RemedialCourse.objects.create(category=category, course=courses[code])
    for name, role, weights, targets in SCHEMES:
        IncentiveScheme.objects.create(
            name=name,
            role=role,
            weight_tickets=weights[0],
            weight_fcr=weights[1],
            weight_sla=weights[2],
            weight_satisfaction=weights[3],
            weight_interactions=weights[4],
            weight_sales=weights[5],
            weight_assessments=weights[6],
            target_tickets=targets[0],
            target_interactions=targets[1],
            target_sales=targets[2],
        )


def unload(apps, schema_editor):
    apps.get_model("training", "IncentiveScheme").objects.all().delete()
    apps.get_model("training", "RemedialCourse").objects.all().delete()
    apps.get_model("training", "Course").objects.filter(
        code__in=[course[0] for course in COURSES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
