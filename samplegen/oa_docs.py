"""Content of the OA documents in the sample exports (test/demo data for the OA connector).

Turns a topic of oa_text.py into a format-neutral `Doc` (title, sections with Heading 1/2 levels,
paragraphs, an optional table) in Chinese or English. office.py and pdf.py render a Doc as
.docx/.html/.pdf/.xlsx/.eml. `rows` multiplies table rows (how OA growth beyond the file cap lands).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from samplegen import phrases as ph
from samplegen import text as t
from samplegen.oa_text import GENERIC_RULES, NOTICE_LINES, Topic
from samplegen.rand import LAST_DAY, Rand


@dataclass
class Section:
    heading: str
    level: int = 1
    paragraphs: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)  # first row is the header


@dataclass
class Doc:
    title: str
    lang: str
    sections: list[Section]

    def table(self) -> list[list[str]]:
        return next((section.table for section in self.sections if section.table), [])


class _Lang:
    """Picks the Chinese or the English variant of every phrase of one document."""

    def __init__(self, english: bool) -> None:
        self.english = english
        self.code = "en" if english else "zh"

    def __call__(self, zh: str, en: str) -> str:
        return en if self.english else zh

    def date(self, d: date) -> str:
        return d.isoformat() if self.english else f"{d.year}年{d.month}月{d.day}日"

    def lines(self, topic: Topic) -> list[str]:
        return [self(zh, en) for zh, en in topic.lines]


def policy(r: Rand, topic: Topic, english: bool, day: date, rows: int) -> Doc:
    L = _Lang(english)
    name = L(topic.zh, topic.en)
    title = L(f"{name}（{day.year}年修订）", f"{name} ({day.year})")
    rules = L.lines(topic) + [L(zh, en) for zh, en in r.sample(GENERIC_RULES, r.between(1, 3))]
    if topic.dept == "质量部":
        rules.append(ph.action(r, L.code))
    owner = L(topic.dept or "总经办", t.DEPT_EN.get(topic.dept, "The General Office"))
    short = next(
        (name.removesuffix(x) for x in ("管理制度", "管理规定", "制度", "程序") if name.endswith(x)), name
    )
    sections = [
        Section(
            L("一、目的", "1 Purpose"),
            paragraphs=[
                L(
                    f"为规范{short}相关工作，明确各部门职责，特制定本制度。",
                    f"This policy sets out how {t.COMPANY_EN} handles {name}.",
                )
            ],
        ),
        Section(
            L("二、适用范围", "2 Scope"),
            paragraphs=[
                L(
                    "本制度适用于苏州工厂、天津工厂及槟城工厂全体员工。",
                    "It applies to all staff of the Suzhou, Tianjin and Penang plants.",
                )
            ],
        ),
        Section(
            L("三、职责", "3 Responsibilities"),
            paragraphs=[
                L(
                    f"{owner}负责本制度的制定、解释和监督执行。",
                    f"{owner} owns, explains and enforces this policy.",
                )
            ],
        ),
        Section(L("四、管理规定", "4 Rules"), paragraphs=[f"{i}. {rule}" for i, rule in enumerate(rules, 1)]),
    ]
    table = _policy_table(r, L, topic.key, rows)
    if table:
        sections.append(Section(L("4.1 标准与记录", "4.1 Standards and records"), level=2, table=table))
    sections.append(
        Section(
            L("五、附则", "5 Final provisions"),
            paragraphs=[
                L(
                    f"本制度自{L.date(day)}起施行，原有相关规定同时废止。",
                    f"Effective from {day}; earlier versions are withdrawn.",
                )
            ],
        )
    )
    return Doc(title, L.code, sections)


def _policy_table(r: Rand, L: _Lang, key: str, rows: int) -> list[list[str]]:
    """Travel limits, salary bands, or (sometimes) the records a policy requires; [] for none."""
    grades = range(1, 3 + 2 * rows)
    if key == "travel":
        header = [
            L("职级", "Grade"),
            L("住宿标准(元/晚)", "Hotel limit (CNY/night)"),
            L("交通", "Travel class"),
        ]
        body = [
            [L(f"{i}级", f"M{i}"), str(250 + 50 * i), L("高铁二等座" if i < 4 else "飞机经济舱", "Economy")]
            for i in grades
        ]
    elif key == "salary":
        header = [
            L("职级", "Grade"),
            L("月薪下限(元)", "Monthly minimum (CNY)"),
            L("月薪上限(元)", "Monthly maximum (CNY)"),
        ]
        body = [[L(f"P{i}", f"P{i}"), str(4000 + 2500 * i), str(6500 + 3500 * i)] for i in grades]
    elif r.chance(0.4):
        header = [L("记录名称", "Record"), L("保存部门", "Kept by"), L("保存期限", "Retention")]
        body = [
            [
                f"{ph.doc_no(r, 'REC')}",
                r.pick(t.DEPTS_ZH),
                L(f"{r.between(1, 10)}年", f"{r.between(1, 10)} years"),
            ]
            for _ in grades
        ]
    else:
        return []
    return [header, *body]


def sender(dept: str, english: bool) -> str:
    """Who signs an announcement: the department, or the IT center for the ones without one."""
    if english:
        return f"{t.DEPT_EN[dept]} Department" if dept else "Information Center"
    return dept or "信息中心"


def announcement(r: Rand, topic: Topic, english: bool, day: date, rows: int) -> Doc:
    L = _Lang(english)
    name = L(topic.zh, topic.en)
    start = r.day(day, min(date(day.year, 12, 31), LAST_DAY))
    extra = [L(zh, en) for zh, en in r.sample(NOTICE_LINES, r.between(1, 3))]
    body = [
        L("各部门、全体员工：", "Dear colleagues,"),
        L(
            f"现将有关事项通知如下，自{L.date(start)}起执行。",
            f"Please note the arrangements starting {start}.",
        ),
        *L.lines(topic),
        *extra,
        f"{sender(topic.dept, english)}  {L.date(day)}",
    ]
    title = L(f"关于{day.year}年{name}", f"{name} Notice {day}")
    return Doc(title, L.code, [Section(L("通知内容", "Details"), paragraphs=body)])


def minutes(r: Rand, topic: Topic, english: bool, day: date, rows: int) -> Doc:
    L = _Lang(english)
    people = sorted({ph.person(r) for _ in range(r.between(4, 8))})
    info = [
        L(f"时间：{L.date(day)} 14:00", f"Date: {day} 14:00"),
        L(f"主持：{people[0]}", f"Chair: {people[0]}"),
        L(f"参会人员：{'、'.join(people)}", f"Attendees: {', '.join(people)}"),
    ]
    talk = [ph.join([ph.defect(r, L.code), ph.action(r, L.code)]) for _ in range(r.between(2, 4))]
    header = [
        L("序号", "No."),
        L("事项", "Action"),
        L("负责人", "Owner"),
        L("完成日期", "Due"),
        L("状态", "Status"),
    ]
    actions = [
        [
            str(i),
            ph.action(r, L.code),
            r.pick(people),
            r.day(day).isoformat(),
            L(r.pick(("进行中", "已完成")), "open"),
        ]
        for i in range(1, r.between(3, 6) * rows + 1)
    ]
    return Doc(
        f"{L(topic.zh, topic.en)} {day}",
        L.code,
        [
            Section(L("会议信息", "Meeting details"), paragraphs=info),
            Section(L("议题", "Agenda"), paragraphs=[f"{i}. {a}" for i, a in enumerate(L.lines(topic), 1)]),
            Section(L("讨论内容", "Discussion"), level=2, paragraphs=talk),
            Section(L("行动项", "Action items"), table=[header, *actions]),
        ],
    )


def process(r: Rand, topic: Topic, english: bool, day: date, rows: int) -> Doc:
    L = _Lang(english)
    steps = L.lines(topic)
    shop_floor = topic.dept in ("生产部", "质量部", "研发部")
    note = ph.sop_step(r, english) if shop_floor else L(*r.pick(NOTICE_LINES))
    header = [
        L("步骤", "Step"),
        L("活动", "Activity"),
        L("责任人", "Owner"),
        L("输出", "Output"),
        L("时限", "Time limit"),
    ]
    table = [
        [
            str(10 * (i + 1)),
            steps[i % len(steps)] + (f" ({i // len(steps) + 1})" if i >= len(steps) else ""),
            ph.person(r),
            r.pick(("记录表", "NCR", "ECN", "Report", "ERP")),
            f"{r.between(1, 5)}d",
        ]
        for i in range(len(steps) * rows)
    ]
    owner = L(topic.dept or "总经办", t.DEPT_EN.get(topic.dept, "General Office"))
    return Doc(
        f"{L(topic.zh, topic.en)} V{r.between(1, 4)}.{r.between(0, 9)}",
        L.code,
        [
            Section(
                L("流程概述", "Overview"),
                paragraphs=[
                    L(
                        f"流程负责部门：{owner}。生效日期：{L.date(day)}。",
                        f"Owner: {owner}. Valid from {day}.",
                    )
                ],
            ),
            Section(L("流程步骤", "Steps"), table=[header, *table]),
            Section(L("注意事项", "Notes"), level=2, paragraphs=[note]),
        ],
    )


BUILDERS = {"制度": policy, "公告": announcement, "会议纪要": minutes, "流程": process}
