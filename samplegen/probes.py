"""Planted records of the sample exports: search probes and the sales-only secret (test/demo data).

The generators put these texts into one record each, at a fixed position, so expected.json can name a
query and the one record it must find. None of their key words occurs in the phrase pools (text.py,
oa_text.py), which keeps each probe unique at every scale. All probe records are visible to everyone;
the sales-only phrase is the opposite: it must be found by Sales users only.
"""

from __future__ import annotations

# --- ERP (row index inside its file; every scale has at least this many rows) ---
MATERIAL_AT = 42  # a VB- (valve body) row
MATERIAL_NAME = "钛合金蝶阀阀板"
MATERIAL_SPEC = "DN600 PN10 TA2"
MATERIAL_REMARK = "海水淡化项目专用，需做100%渗透检测。"

SUPPLIER_AT = 11
SUPPLIER_NAME = "Kessler Feinguss GmbH"
SUPPLIER_REMARK = (
    "Investment casting shrinkage found on impeller vanes of lot 2311; the foundry added X-ray inspection "
    "and a new gating design. 熔模铸件缩松问题已整改。"
)

BOM_AT = 5
BOM_NOTE = "Cryogenic extended bonnet for -196 °C service; every unit passes the cold box test."

SOP_AT = 3
SOP_TITLE = "氦质谱检漏作业指导书"

# --- CRM ---
ACCOUNT_AT = 9
ACCOUNT_NAME = "Fjordvann Kommunale Vannverk"
TICKET_AT = 14
TICKET_PROBLEM = "变频改造后泵入口汽蚀噪声明显，振动值超过 7.1 mm/s。"
OPPORTUNITY_AT = 21
OPPORTUNITY_DESCRIPTION = (
    "Retrofit of 48 knife gate valves on the tailings slurry line, abrasion-resistant liners."
)
CONTACT_AT = 17
CONTACT_NAME = "欧阳晓雯"

SALES_ONLY_AT = 23
SALES_ONLY_PHRASE = "Bluefin rebate ladder"
SALES_ONLY_NOTES = (
    "Confidential: offered the Bluefin rebate ladder (3% above 5 MCNY, 5% above 12 MCNY) to win the frame "
    "agreement. 该返利方案仅限销售部内部知悉，不得外传。"
)

# --- OA (position in the file plan; title, category, format, language) ---
OA_PROBES = (
    (5, "远程办公管理规定", "制度", "docx", "zh", "远程办公"),
    (21, "Export Control Screening Procedure", "流程", "pdf", "en", "export control screening"),
    (35, "关于启用隐患随手拍小程序的通知", "公告", "html", "zh", "隐患随手拍"),
    (50, "Canteen Closure for Kitchen Renovation", "公告", "eml", "en", "kitchen renovation"),
)
OA_PROBE_BODY = {
    "远程办公": (
        "员工经部门经理批准，每周最多可远程办公两天。远程办公期间须保持OA在线，并使用公司VPN访问ERP。",
        "Remote work needs the manager's approval; at most two days a week.",
    ),
    "export control screening": (
        "Every order is checked against the denied-party lists before the sales order is released.",
        "Dual-use items need an export licence; the export control screening record is kept for five years.",
    ),
    "隐患随手拍": (
        "即日起启用“隐患随手拍”微信小程序，员工发现安全隐患可拍照上报，EHS专员24小时内处理。",
        "每月评选“隐患随手拍”之星，奖励200元。",
    ),
    "kitchen renovation": (
        "The staff canteen closes for two weeks during the kitchen renovation.",
        "Lunch boxes will be delivered to each workshop at 11:45 until the kitchen renovation is finished.",
    ),
}
