"""CRM export of the sample set (test/demo data for the CRM connector): OUT/crm/.

accounts.csv and contacts.csv (UTF-8, LF), opportunities/activities/tickets.jsonl (one JSON object a
line, UTF-8). owner_dept uses the CRM's English values; `visibility` is public or sales-only. Planted:
the search probes and one sales-only activity with a secret phrase (probes.py); broken: one malformed
JSON line, one ticket without id, one duplicate opportunity id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from samplegen import phrases as ph
from samplegen import probes
from samplegen import text as t
from samplegen.broken import cut_json
from samplegen.office import csv_line
from samplegen.rand import Rand, iso_time
from samplegen.truth import SystemTruth

ACCOUNTS_HEADER = (
    "account_id",
    "name",
    "industry",
    "region",
    "owner",
    "owner_dept",
    "visibility",
    "updated_at",
)
CONTACTS_HEADER = (
    "contact_id",
    "account_id",
    "name",
    "title",
    "email",
    "phone",
    "owner_dept",
    "visibility",
    "updated_at",
)
SALES_ONLY = "sales-only"


class _Crm:
    """Shared state of one CRM export: sizes, the sales roster, the truth being collected."""

    def __init__(self, out: Path, scale: int, seed: int) -> None:
        self.out, self.seed, self.truth = out, seed, SystemTruth("crm")
        self.accounts = 30 * scale
        roster = Rand(seed, "crm/roster")
        self.sales = sorted({ph.person(roster) for _ in range(12)})[:8] + list(t.WESTERN[:2])
        self.service = sorted({ph.person(roster) for _ in range(6)})[:4]

    def account(self, r: Rand) -> str:
        return f"ACC-{100001 + r.between(0, self.accounts - 1)}"

    def visibility(self, r: Rand, share: float) -> str:
        return SALES_ONLY if r.chance(share) else "public"

    def write_jsonl(self, name: str, rows: Iterator[dict[str, Any] | str]) -> None:
        with (self.out / name).open("w", encoding="utf-8", newline="\n") as out:
            for row in rows:
                out.write(row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) + "\n")


def _accounts(crm: _Crm, out: TextIO) -> None:
    r, file = Rand(crm.seed, "crm/accounts"), "crm/accounts.csv"
    out.write(csv_line(ACCOUNTS_HEADER, "\n"))
    for i in range(crm.accounts):
        account_id = f"ACC-{100001 + i}"
        if r.chance(0.6):
            name = (
                f"{r.pick(t.CUSTOMER_WORDS)}{r.pick(t.CUSTOMER_ZH)}"
                f"{r.pick(('有限公司', '股份有限公司', '集团'))}"
            )
        else:
            name = f"{r.pick(t.CUSTOMER_EN)} {r.pick(('Ltd.', 'AB', 'GmbH', 'LLC', 'S.A.', 'Co.'))}"
        dept = "" if i == crm.accounts // 2 else r.weighted(("Sales", "Customer Service"), (85, 15))
        visibility = crm.visibility(r, 0.1)
        if i == probes.ACCOUNT_AT:
            name, dept, visibility = probes.ACCOUNT_NAME, "Sales", "public"
            crm.truth.probe("Fjordvann", "en", account_id, file)
        row = [account_id, name, r.pick(t.INDUSTRIES), r.pick(t.REGIONS), r.pick(crm.sales), dept, visibility]
        out.write(csv_line([*row, iso_time(r.moment())], "\n"))
        crm.truth.ok(file, dept)


def _contacts(crm: _Crm, out: TextIO, count: int) -> None:
    r, file = Rand(crm.seed, "crm/contacts"), "crm/contacts.csv"
    out.write(csv_line(CONTACTS_HEADER, "\n"))
    for i in range(count):
        contact_id, chinese = f"CON-{200001 + i}", r.chance(0.7)
        surname, given = (r.pick(t.SURNAMES), r.pick(t.GIVEN)) if chinese else r.pick(t.WESTERN).split(" ")
        if i == probes.CONTACT_AT:
            surname, given, chinese = "欧阳", "晓雯", True
            crm.truth.probe(probes.CONTACT_NAME, "zh", contact_id, file)
        name = surname + given if chinese else f"{surname} {given}"
        local = f"{t.PINYIN[given]}.{t.PINYIN[surname]}" if chinese else f"{surname}.{given}".lower()
        email = f"{local}@client{r.between(1, 99):02d}.example"
        phone = (
            f"+86 1{r.between(30, 99)} {r.between(1000, 9999)} {r.between(1000, 9999)}"
            if chinese
            else (f"+{r.pick((47, 49, 971, 65, 55))} {r.between(100, 999)} {r.between(10000, 99999)}")
        )
        visibility = "public" if i == probes.CONTACT_AT else crm.visibility(r, 0.1)
        row = [contact_id, crm.account(r), name, r.pick(t.TITLES), email, phone, "Sales", visibility]
        out.write(csv_line([*row, iso_time(r.moment())], "\n"))
        crm.truth.ok(file, "Sales")


def _opportunities(crm: _Crm, count: int) -> Iterator[dict[str, Any]]:
    r, file = Rand(crm.seed, "crm/opportunities"), "crm/opportunities.jsonl"
    duplicate = 2 * count // 3
    for i in range(count):
        opp_id = f"OPP-{300001 + (2 if i == duplicate else i)}"
        project_zh, project_en = r.pick(t.PROJECTS)
        close = r.day()
        description = ph.join([ph.call_note(r), ph.call_note(r)])
        visibility, dept = crm.visibility(r, 0.45), r.weighted(("Sales", "R&D"), (90, 10))
        name = r.pick((f"{project_zh} - {ph.product(r)}", f"{project_en.title()} - {ph.product(r, 'en')}"))
        if i == probes.OPPORTUNITY_AT:
            description, visibility, dept = probes.OPPORTUNITY_DESCRIPTION, "public", "Sales"
            crm.truth.probe("tailings slurry", "en", opp_id, file)
        stage = r.pick(t.STAGES)
        yield {
            "id": opp_id,
            "account_id": crm.account(r),
            "name": name,
            "stage": stage,
            "amount_cny": r.between(5, 900) * 10_000,
            "close_date": close.isoformat(),
            "description": description,
            "owner": r.pick(crm.sales),
            "owner_dept": dept,
            "visibility": visibility,
            "updated_at": iso_time(r.moment()),
        }
        if i == duplicate:
            crm.truth.bad(file, "duplicate-id", line=i + 1, item_id=opp_id, detail="id first on line 3")
        else:
            crm.truth.ok(file, dept)


def _activities(crm: _Crm, count: int) -> Iterator[dict[str, Any] | str]:
    r, file = Rand(crm.seed, "crm/activities"), "crm/activities.jsonl"
    broken = count // 2 + 7
    for i in range(count):
        act_id, kind = f"ACT-{400001 + i}", r.pick(t.ACTIVITY_TYPES)
        dept = r.weighted(("Sales", "Customer Service"), (75, 25))
        owner = r.pick(crm.sales if dept == "Sales" else crm.service)
        visibility = crm.visibility(r, 0.55) if dept == "Sales" else "public"
        subject = r.pick(("回访", "技术交流", "报价跟进", "Quarterly review", "Site visit", "Follow-up call"))
        notes = ph.call_notes(r)
        if i == probes.SALES_ONLY_AT:
            kind, dept, owner, visibility, notes = (
                "meeting",
                "Sales",
                crm.sales[0],
                SALES_ONLY,
                probes.SALES_ONLY_NOTES,
            )
            crm.truth.extra["sales_only"] = {
                "phrase": probes.SALES_ONLY_PHRASE,
                "record_id": act_id,
                "file": file,
            }
        row = {
            "id": act_id,
            "account_id": crm.account(r),
            "type": kind,
            "subject": f"{subject} {act_id[-4:]}",
            "notes": notes,
            "owner": owner,
            "owner_dept": dept,
            "visibility": visibility,
            "created_at": iso_time(r.moment()),
        }
        if i == broken:
            yield cut_json(row, 70)
            crm.truth.bad(
                file, "bad-json", line=i + 1, item_id=act_id, detail="object cut off after 70 chars"
            )
            continue
        crm.truth.ok(file, dept)
        yield row


def _tickets(crm: _Crm, count: int) -> Iterator[dict[str, Any]]:
    r, file = Rand(crm.seed, "crm/tickets"), "crm/tickets.jsonl"
    missing = count // 3 + 2
    for i in range(count):
        status = r.weighted(t.TICKET_STATUS, (20, 20, 30, 30))
        product = ph.product(r, ph.lang(r))
        problem, resolution = ph.complaint(r, product), ph.resolution(r)
        dept = "" if i == count // 2 else r.weighted(("Customer Service", "Quality", "R&D"), (60, 25, 15))
        if i == probes.TICKET_AT:
            problem, dept = probes.TICKET_PROBLEM, "Customer Service"
            crm.truth.probe("汽蚀噪声", "zh", f"TKT-{500001 + i}", file)
        row = {
            "id": f"TKT-{500001 + i}",
            "account_id": crm.account(r),
            "product": product,
            "severity": r.weighted(t.SEVERITIES, (5, 20, 50, 25)),
            "problem": problem,
            "resolution": resolution if status in ("resolved", "closed") else "",
            "status": status,
            "owner_dept": dept,
            "visibility": crm.visibility(r, 0.05) if i != probes.TICKET_AT else "public",
            "updated_at": iso_time(r.moment()),
        }
        if i == missing:
            del row["id"]
            crm.truth.bad(
                file, "missing-id", line=i + 1, item_id=None, detail=f"no id key (would be TKT-{500001 + i})"
            )
        else:
            crm.truth.ok(file, dept)
        yield row


def generate(out: Path, scale: int, seed: int) -> SystemTruth:
    out.mkdir(parents=True, exist_ok=True)
    crm = _Crm(out, scale, seed)
    with (out / "accounts.csv").open("w", encoding="utf-8", newline="") as accounts:
        _accounts(crm, accounts)
    with (out / "contacts.csv").open("w", encoding="utf-8", newline="") as contacts:
        _contacts(crm, contacts, 50 * scale)
    crm.write_jsonl("opportunities.jsonl", _opportunities(crm, 40 * scale))
    crm.write_jsonl("activities.jsonl", _activities(crm, 80 * scale))
    crm.write_jsonl("tickets.jsonl", _tickets(crm, 60 * scale))
    return crm.truth
