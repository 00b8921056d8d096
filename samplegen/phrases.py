"""Sentence builders of the sample export generator (test/demo data for the ERP/CRM/OA connectors).

Each builder combines the pools of text.py with a seeded `Rand` into plausible, varied domain text:
quality remarks, BOM notes, SOP steps, customer complaints and resolutions, sales call notes. Chinese
and English sentences are mixed the way real bilingual exports mix them.
"""

from __future__ import annotations

from collections.abc import Callable

from samplegen import text as t
from samplegen.rand import Rand


def person(r: Rand) -> str:
    return r.pick(t.SURNAMES) + r.pick(t.GIVEN)


def anyone(r: Rand) -> str:
    return person(r) if r.chance(0.75) else r.pick(t.WESTERN)


def product(r: Rand, lang: str = "zh") -> str:
    zh, en, kind = r.pick(t.PRODUCTS)
    return f"{r.pick(t.PRODUCT_MODELS[kind])} {zh if lang == 'zh' else en} {r.pick(t.SIZES)}"


def doc_no(r: Rand, kind: str) -> str:
    return f"{kind}-{r.between(2023, 2026)}-{r.between(1, 999):04d}"


def defect(r: Rand, lang: str) -> str:
    _, part_zh, part_en, *_ = r.pick(t.PARTS)
    d_zh, d_en = r.pick(t.DEFECTS)
    c_zh, c_en = r.pick(t.CAUSES)
    if lang == "zh":
        return f"{part_zh}出现{d_zh}，原因为{c_zh}。"
    return f"The {part_en} showed {d_en}; root cause: {c_en}."


def action(r: Rand, lang: str) -> str:
    a_zh, a_en = r.pick(t.ACTIONS)
    due = r.day().isoformat()
    if lang == "zh":
        return r.pick(
            (f"纠正措施：{a_zh}，{due}前完成。", f"已决定{a_zh}。", f"临时措施为{a_zh}，长期措施待评审。")
        )
    return r.pick((f"Corrective action: {a_en} by {due}.", f"We agreed to {a_en}.", f"Containment: {a_en}."))


def join(sentences: list[str]) -> str:
    """Concatenate sentences: no space after a Chinese full stop, one space after anything else."""
    out = ""
    for sentence in filter(None, sentences):
        out += sentence if not out or out.endswith(("。", "；", "！")) else " " + sentence
    return out


def lang(r: Rand, english_share: float = 0.35) -> str:
    return "en" if r.chance(english_share) else "zh"


def quality_remark(r: Rand) -> str:
    """Supplier quality remark: acceptance rate, a defect, 8D / NCR status, an action."""
    rate = r.real(91.0, 99.9)
    parts = [
        r.pick(
            (f"{r.between(2023, 2026)}年来料合格率{rate}%。", f"Incoming acceptance rate {rate}% this year.")
        ),
        defect(r, lang(r)),
    ]
    ncr = doc_no(r, "NCR")
    parts.append(
        r.pick(
            (
                f"{ncr} 已关闭，8D报告审核通过。",
                f"8D report for {ncr} is still open (D4 root cause pending).",
                f"已发出{ncr}，要求供应商两周内回复。",
                f"Supplier audit scored {r.between(62, 96)}/100, re-audit planned.",
            )
        )
    )
    if r.chance(0.6):
        parts.append(action(r, lang(r)))
    return join(parts)


def material_remark(r: Rand, part_zh: str, material: str) -> str:
    options = (
        f"{part_zh}需做来料检验，材质{material}须附材质证明。",
        f"Lead time {r.between(2, 14)} weeks; MOQ {r.pick((10, 50, 100, 500))}.",
        f"库存低于安全库存，已通知采购补货 {r.between(50, 800)} 件。",
        "RoHS/REACH declaration on file, material cert EN 10204 3.1 required.",
        f"替代料见ECN-{r.between(2023, 2026)}-{r.between(1, 300):03d}，旧料用完即止。",
        "Critical part: 100% hydro test after machining.",
        f"质量部要求每批附材质报告，硬度HB {r.between(150, 240)}-{r.between(241, 300)}。",
        "",
    )
    return r.pick(options)


def bom_note(r: Rand) -> str:
    options = (
        f"装配扭矩 {r.between(25, 180)} N·m，对角分{r.between(2, 4)}次拧紧。",
        f"Use {r.pick(t.MATERIALS['bar'])} for sour service (NACE MR0175).",
        f"子项按图纸 RT-{r.between(1000, 9999)} 加工，表面粗糙度 Ra{r.pick(('0.4', '0.8', '1.6'))}。",
        "Seal faces must be lapped; flatness within 2 light bands.",
        f"用量含{r.between(2, 5)}%损耗。",
        f"Substitute allowed after R&D approval (ECN-{r.between(2023, 2026)}-{r.between(1, 300):03d}).",
        "出口订单须使用英文铭牌。",
        "",
    )
    return r.pick(options)


STEP_VERBS = (
    ("检查", "Check"),
    ("清洁", "Clean"),
    ("安装", "Install"),
    ("测量", "Measure"),
    ("紧固", "Tighten"),
    ("记录", "Record"),
    ("试压", "Pressure-test"),
)


def sop_step(r: Rand, english: bool, part: tuple[str, str] | None = None) -> str:
    """One work instruction step; about the given (Chinese, English) part most of the time."""
    verb_zh, verb_en = r.pick(STEP_VERBS)
    _, part_zh, part_en, *_ = r.pick(t.PARTS)
    if part is not None and r.chance(0.6):
        part_zh, part_en = part
    if english:
        extra = r.pick(("per drawing", "with the torque wrench", "and sign the traveller", "at 1.5x PN"))
        return (
            f"{verb_en} the {part_en} {extra}; stop and call the team leader if "
            f"{r.pick(t.DEFECTS)[1]} is found."
        )
    extra = r.pick(("按图纸要求", "使用力矩扳手", "并在流转卡上签字", "按1.5倍公称压力"))
    return f"{verb_zh}{part_zh}，{extra}；如发现{r.pick(t.DEFECTS)[0]}，立即停线并通知班组长。"


def complaint(r: Rand, what: str) -> str:
    d_zh, d_en = r.pick(t.DEFECTS)
    options = (
        f"客户反映 {what} 在运行{r.between(2, 400)}小时后{d_zh}，现场已停机。",
        f"Customer reports {d_en} on {what} after {r.between(1, 18)} months in service.",
        f"{what} 到货开箱发现{d_zh}，客户要求退换货。",
        f"Site engineer says the {what} cannot hold pressure at {r.pick(t.PRESSURES)}; "
        "leak rate above API 598.",
    )
    return join([r.pick(options), defect(r, lang(r)) if r.chance(0.5) else ""])


def resolution(r: Rand) -> str:
    options = (
        f"已派服务工程师现场更换{r.pick(t.PARTS)[1]}，复测合格。",
        f"Replaced the {r.pick(t.PARTS)[2]} under warranty; customer signed off.",
        f"根本原因：{r.pick(t.CAUSES)[0]}。{action(r, 'zh')}",
        f"Root cause: {r.pick(t.CAUSES)[1]}. {action(r, 'en')}",
    )
    return r.pick(options)


_CALL_NOTES: tuple[Callable[[Rand], str], ...] = (
    lambda r: f"客户询问{r.pick(t.PROJECTS)[0]}的阀门选型，需提供{r.pick(t.SIZES)}样本。",
    lambda r: (
        f"Discussed the {r.pick(t.PROJECTS)[1]}; they need {r.between(20, 400)} valves by Q{r.between(1, 4)}."
    ),
    lambda r: f"竞争对手报价低约{r.between(3, 18)}%，客户希望我们让利。",
    lambda r: f"Visited the plant with our application engineer; the {r.pick(t.PRODUCTS)[1]}s run hot.",
    lambda r: f"客户对上次的{r.pick(t.DEFECTS)[0]}问题处理结果表示满意。",
    lambda r: f"Sent the updated quotation and the {r.pick(t.MATERIALS['cast'])} material certificates.",
    lambda r: f"下次拜访定在{r.day().isoformat()}，携带技术协议草案。",
    lambda r: "Procurement wants payment terms of 90 days; finance to review.",
    lambda r: f"客户计划{r.between(2024, 2026)}年停车检修，需提前备好{r.pick(t.PARTS)[1]}备件。",
    lambda r: (
        "Their plant manager asked for a lifecycle cost comparison against the "
        f"{r.pick(t.PRODUCTS)[1]} now installed."
    ),
)


def call_note(r: Rand) -> str:
    return r.pick(_CALL_NOTES)(r)


def call_notes(r: Rand, low: int = 2, high: int = 6) -> str:
    """Two to six different sales-call sentences."""
    return join([note(r) for note in r.sample(_CALL_NOTES, r.between(low, high))])
