"""ERP export of the sample set (test/demo data for the tabular/ERP connectors): OUT/erp/.

materials.csv (GB18030, one row = one document, with the deliberately broken rows), suppliers.csv
(UTF-8 with BOM), bom_notes.xlsx and work_instructions.xlsx (rows grouped into one document per
BOM编号 / 文件编号). Rows are written as they are made, so memory stays flat at any scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from samplegen import phrases as ph
from samplegen import probes
from samplegen import text as t
from samplegen.broken import poison_gb18030
from samplegen.office import csv_line, xlsx_bytes
from samplegen.rand import CST, Rand, erp_time
from samplegen.truth import SystemTruth

MATERIALS_HEADER = ("物料编码", "物料名称", "规格型号", "单位", "工厂", "责任部门", "备注", "更新时间")
SUPPLIERS_HEADER = ("供应商编码", "供应商名称", "质量评级", "质量备注", "联系人", "责任部门", "更新时间")
BOM_HEADER = ("BOM编号", "父项物料", "子项物料", "用量", "说明", "责任部门", "更新时间")
SOP_HEADER = ("文件编号", "标题", "工序号", "工序内容", "责任部门", "版本", "生效日期")
EXPORTED = datetime(2026, 10, 31, 18, 0, tzinfo=CST)
FOREIGN_SUPPLIERS = ("Bianchi Fonderie S.p.A.", "Tanaka Precision Bearing K.K.", "Ostrava Forge s.r.o.")
PROCESSES: tuple[tuple[str, str], ...] = (
    ("机加工", "machining"),
    ("装配", "assembly"),
    ("试压", "pressure testing"),
    ("喷涂", "painting"),
)
SOP_PREFIX = {"生产部": "PRD", "质量部": "QA", "研发部": "RD"}
PROCESSES += (("焊接", "welding"), ("包装", "packing"), ("来料检验", "incoming inspection"))


def material_code(i: int) -> str:
    """Item code of materials.csv row i, e.g. VB-100-01 (part prefix, series, sequence); unique per i."""
    n = i // len(t.PARTS)
    return f"{t.PARTS[i % len(t.PARTS)][0]}-{100 + n // 99:03d}-{n % 99 + 1:02d}"


def _spec(r: Rand, stuff: str) -> str:
    if stuff == "soft":
        return f"Φ{r.between(10, 300)}×{r.pick(('2.5', '3.1', '3.5', '5.3'))}"
    if stuff == "bolt":
        return f"M{r.pick((12, 16, 20, 24, 30))}×{r.between(6, 24) * 10}"
    if stuff == "bearing":
        return f"d{r.between(3, 12) * 5} C{r.pick(('0', '3'))}"
    return f"{r.pick(t.SIZES)} {r.pick(t.PRESSURES)}"


def write_materials(path: Path, rows: int, seed: int, truth: SystemTruth) -> None:
    r, file = Rand(seed, "erp/materials"), "erp/materials.csv"
    bad_row, bad_bytes, duplicate, no_dept = rows // 4 + 3, rows // 2 + 1, 3 * rows // 4, rows // 3
    with path.open("wb") as out:
        out.write(csv_line(MATERIALS_HEADER).encode("gb18030"))
        for i in range(rows):
            _, part_zh, _, unit, family, stuff = t.PARTS[i % len(t.PARTS)]
            material, spec = r.pick(t.MATERIALS[stuff]), _spec(r, stuff)
            products = [zh for zh, _, kind in t.PRODUCTS if family in (kind, "any")]
            name = f"{r.pick(products)}{part_zh}" if family != "any" else f"{part_zh} {material}"
            if family != "any":
                spec = f"{spec} {material}"
            dept = r.weighted(("生产部", "研发部", "质量部", "销售部"), (55, 25, 15, 5))
            remark = ph.material_remark(r, part_zh, material)
            code, stamp = material_code(i), erp_time(r.moment())
            if i == probes.MATERIAL_AT:
                name, spec, remark, dept = (
                    probes.MATERIAL_NAME,
                    probes.MATERIAL_SPEC,
                    probes.MATERIAL_REMARK,
                    "研发部",
                )
                truth.probe(probes.MATERIAL_NAME, "zh", code, file)
            if i == no_dept:
                dept = ""
            if i == duplicate:
                code = material_code(5)
            values = [code, name, spec, unit, r.pick(t.PLANTS), dept, remark, stamp]
            line = csv_line(values).encode("gb18030")
            if i == bad_row:
                line = csv_line(values[:3]).encode("gb18030")
                truth.bad(file, "bad-row", line=i + 2, item_id=code, detail="3 of 8 columns")
            elif i == bad_bytes:
                line = poison_gb18030(
                    csv_line([*values[:6], "来料检验记录见附件", stamp]).encode("gb18030"), "记录"
                )
                truth.bad(file, "bad-encoding", line=i + 2, item_id=code, detail="bytes FF FF in 备注")
            elif i == duplicate:
                truth.bad(file, "duplicate-id", line=i + 2, item_id=code, detail="物料编码 first on line 7")
            else:
                truth.ok(file, dept)
            out.write(line)


def write_suppliers(path: Path, rows: int, seed: int, truth: SystemTruth) -> None:
    r, file = Rand(seed, "erp/suppliers"), "erp/suppliers.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(csv_line(SUPPLIERS_HEADER))
        for i in range(rows):
            town, word, (trade_zh, _, _) = (
                r.pick(t.SUPPLIER_TOWNS),
                r.pick(t.SUPPLIER_WORDS),
                r.pick(t.SUPPLIER_TRADES),
            )
            name = r.pick(FOREIGN_SUPPLIERS) if r.chance(0.1) else f"{town}{word}{trade_zh}有限公司"
            grade = r.weighted("ABCD", (40, 35, 18, 7))
            remark, contact = ph.quality_remark(r), ph.anyone(r)
            dept = "" if i == rows // 2 else r.weighted(("质量部", "生产部"), (70, 30))
            code = f"SUP-{10001 + i}"
            if i == probes.SUPPLIER_AT:
                name, remark, dept = probes.SUPPLIER_NAME, probes.SUPPLIER_REMARK, "质量部"
                truth.probe("investment casting shrinkage", "en", code, file)
            out.write(csv_line([code, name, grade, remark, contact, dept, erp_time(r.moment())]))
            truth.ok(file, dept)


def _bom_rows(count: int, materials: int, seed: int, truth: SystemTruth) -> Iterator[list[Any]]:
    r, file = Rand(seed, "erp/bom_notes"), "erp/bom_notes.xlsx"
    yield list(BOM_HEADER)
    for i in range(count):
        bom, dept = f"BOM-{20001 + i}", r.weighted(("研发部", "生产部"), (60, 40))
        product = ph.product(r)
        parent = f"AS-{300 + i // 99:03d}-{i % 99 + 1:02d} {product}"
        updated = r.moment()
        for k in range(r.between(3, 6)):
            child_index = r.between(0, materials - 1)
            _, part_zh, _, unit, *_ = t.PARTS[child_index % len(t.PARTS)]
            child = f"{material_code(child_index)} {part_zh}"
            qty: float = r.real(0.2, 45.0, 2) if unit == "kg" else r.pick((1, 1, 1, 2, 4, 8, 12, 16))
            note = probes.BOM_NOTE if (i, k) == (probes.BOM_AT, 0) else ph.bom_note(r)
            yield [bom, parent, child, qty, note, dept, updated.replace(tzinfo=None)]
        if i == probes.BOM_AT:
            truth.probe("cryogenic extended bonnet", "en", bom, file)
        truth.ok(file, dept)


def _sop_rows(count: int, seed: int, truth: SystemTruth) -> Iterator[list[Any]]:
    r, file = Rand(seed, "erp/work_instructions"), "erp/work_instructions.xlsx"
    yield list(SOP_HEADER)
    for i in range(count):
        dept = r.weighted(("生产部", "质量部", "研发部"), (60, 30, 10))
        code = f"WI-{SOP_PREFIX[dept]}-{1001 + i}"
        (process_zh, process_en), (_, part_zh, part_en, *_) = r.pick(PROCESSES), r.pick(t.PARTS)
        english = r.chance(0.3)
        title = (
            f"{part_en.capitalize()} {process_en} work instruction"
            if english
            else f"{part_zh}{process_zh}作业指导书"
        )
        if i == probes.SOP_AT:
            title, english = probes.SOP_TITLE, False
            truth.probe("氦质谱检漏", "zh", code, file)
        version, effective = f"{r.pick('ABC')}/{r.between(0, 3)}", r.day()
        for step in range(1, r.between(4, 10) + 1):
            yield [
                code,
                title,
                step * 10,
                ph.sop_step(r, english, (part_zh, part_en)),
                dept,
                version,
                effective,
            ]
        truth.ok(file, dept)


def generate(out: Path, scale: int, seed: int) -> SystemTruth:
    truth = SystemTruth("erp")
    out.mkdir(parents=True, exist_ok=True)
    materials = 120 * scale
    write_materials(out / "materials.csv", materials, seed, truth)
    write_suppliers(out / "suppliers.csv", 40 * scale, seed, truth)
    bom = xlsx_bytes([("BOM备注", _bom_rows(20 * scale, materials, seed, truth))], "BOM备注", "ERP", EXPORTED)
    (out / "bom_notes.xlsx").write_bytes(bom)
    sop = xlsx_bytes([("作业指导书", _sop_rows(15 * scale, seed, truth))], "作业指导书", "ERP", EXPORTED)
    (out / "work_instructions.xlsx").write_bytes(sop)
    return truth
