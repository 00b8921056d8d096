"""Phrase pools of the sample export generator (test/demo data for the ERP/CRM/OA connectors).

Plain data only: products, parts, materials, defects, people, companies, places of a fictional
valve & pump maker, RuiTai Flow Control (瑞泰流体控制). Pairs are (Chinese, English). The sentence
builders in phrases.py combine these with seeded choices. Words used by search probes (probes.py)
must never appear here, or the probes would stop being unique.
"""

from __future__ import annotations

COMPANY_ZH = "瑞泰流体控制有限公司"
COMPANY_EN = "RuiTai Flow Control Co., Ltd."
MAIL_DOMAIN = "ruitai-flow.example"

# Raw department values as the source systems spell them.
DEPTS_ZH = ("生产部", "研发部", "销售部", "质量部", "人力资源部")
DEPT_EN = {
    "生产部": "Production",
    "研发部": "R&D",
    "销售部": "Sales",
    "质量部": "Quality",
    "人力资源部": "HR",
}
DEPTS_EN = ("Sales", "Customer Service", "Quality", "R&D")

PRODUCTS = (
    ("闸阀", "gate valve", "valve"),
    ("球阀", "ball valve", "valve"),
    ("截止阀", "globe valve", "valve"),
    ("蝶阀", "butterfly valve", "valve"),
    ("止回阀", "check valve", "valve"),
    ("调节阀", "control valve", "valve"),
    ("安全阀", "safety relief valve", "valve"),
    ("离心泵", "centrifugal pump", "pump"),
    ("隔膜泵", "diaphragm pump", "pump"),
    ("齿轮泵", "gear pump", "pump"),
    ("多级泵", "multistage pump", "pump"),
)
PRODUCT_MODELS = {
    "valve": ("Z41H-16C", "Q41F-25P", "J41W-40P", "D341X-10Q", "H44H-25", "RT-CV300", "A42Y-40C"),
    "pump": ("IS80-65-160", "QBY-50", "KCB-83.3", "DG46-50", "RT-MP120"),
}

# (prefix for item codes, Chinese, English, unit, product family, material family)
PARTS = (
    ("VB", "阀体", "valve body", "件", "valve", "cast"),
    ("BN", "阀盖", "bonnet", "件", "valve", "cast"),
    ("ST", "阀杆", "stem", "根", "valve", "bar"),
    ("SE", "阀座", "seat ring", "个", "valve", "bar"),
    ("IM", "叶轮", "impeller", "件", "pump", "cast"),
    ("PC", "泵壳", "pump casing", "件", "pump", "cast"),
    ("SL", "机械密封", "mechanical seal", "套", "pump", "face"),
    ("OR", "O型圈", "O-ring", "个", "any", "soft"),
    ("PK", "填料", "gland packing", "kg", "valve", "soft"),
    ("FL", "法兰", "flange", "件", "any", "bar"),
    ("BR", "轴承", "bearing", "套", "pump", "bearing"),
    ("GK", "垫片", "gasket", "片", "any", "soft"),
    ("CS", "铸件毛坯", "raw casting", "kg", "any", "cast"),
    ("BT", "紧固螺栓", "stud bolt", "套", "any", "bolt"),
)
MATERIALS = {
    "cast": ("WCB", "CF8M", "CF8", "HT250", "QT450-10", "LCB"),
    "bar": ("2Cr13", "304", "316L", "42CrMo", "F51"),
    "face": ("SiC/SiC", "SiC/石墨", "TC/SiC"),
    "soft": ("PTFE", "FKM", "EPDM", "NBR", "柔性石墨"),
    "bearing": ("6308-2Z", "7310 BEP", "NU310"),
    "bolt": ("B7/2H", "B8M/8M", "35CrMoA"),
}
ALL_MATERIALS = tuple(m for group in MATERIALS.values() for m in group)
SIZES = ("DN25", "DN40", "DN50", "DN80", "DN100", "DN150", "DN200", "DN250", "DN300")
PRESSURES = ("PN10", "PN16", "PN25", "PN40", "Class 150", "Class 300")
PLANTS = ("1000 苏州工厂", "2000 天津工厂", "3000 Penang Plant", "1100 苏州二厂")

DEFECTS = (
    ("气孔", "gas porosity"),
    ("砂眼", "sand inclusions"),
    ("尺寸超差", "dimensions out of tolerance"),
    ("密封面划伤", "scratches on the sealing face"),
    ("壳体渗漏", "shell leakage during the hydro test"),
    ("裂纹", "cracks near the flange neck"),
    ("硬度不足", "hardness below specification"),
    ("涂层脱落", "paint coating peeling off"),
    ("毛刺未清理", "burrs left on the bore"),
    ("漏装弹簧垫圈", "missing spring washers"),
    ("螺纹损伤", "damaged threads"),
    ("标识不清", "illegible nameplate marking"),
)
CAUSES = (
    ("浇注温度偏低", "the pouring temperature was too low"),
    ("砂型含水率超标", "the moisture in the sand mould was too high"),
    ("刀具磨损未及时更换", "a worn cutting tool was not replaced in time"),
    ("检具未按期校准", "the gauge was overdue for calibration"),
    ("装配工未按SOP操作", "the assembler skipped a step of the SOP"),
    ("供应商变更了原材料批次未通知", "the supplier changed the raw material lot without notice"),
    ("热处理炉温控失效", "the heat treatment furnace lost temperature control"),
    ("包装防护不足", "the packaging gave too little protection in transit"),
)
ACTIONS = (
    ("增加首件检验", "add a first-article inspection"),
    ("更新控制计划并培训操作工", "update the control plan and retrain the operators"),
    ("对在库品100%复检", "re-inspect 100% of the stock on hand"),
    ("要求供应商提交8D报告", "ask the supplier for an 8D report"),
    ("加严来料检验AQL至0.65", "tighten the incoming inspection AQL to 0.65"),
    ("引入防错工装", "introduce a poka-yoke fixture"),
    ("调整热处理工艺参数", "adjust the heat treatment parameters"),
    ("改用木箱加防锈膜包装", "switch to wooden crates with anti-rust film"),
)

PINYIN = {
    "王": "wang",
    "李": "li",
    "张": "zhang",
    "刘": "liu",
    "陈": "chen",
    "杨": "yang",
    "赵": "zhao",
    "黄": "huang",
}
PINYIN |= {
    "周": "zhou",
    "吴": "wu",
    "徐": "xu",
    "孙": "sun",
    "胡": "hu",
    "朱": "zhu",
    "高": "gao",
    "林": "lin",
}
PINYIN |= {
    "芳": "fang",
    "伟": "wei",
    "娜": "na",
    "敏": "min",
    "静": "jing",
    "强": "qiang",
    "磊": "lei",
    "洋": "yang",
}
PINYIN |= {
    "艳": "yan",
    "勇": "yong",
    "军": "jun",
    "杰": "jie",
    "涛": "tao",
    "明": "ming",
    "超": "chao",
    "秀英": "xiuying",
}
PINYIN |= {"志强": "zhiqiang", "欧阳": "ouyang", "晓雯": "xiaowen"}
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林")
GIVEN = (
    "芳",
    "伟",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "志强",
)
WESTERN: tuple[str, ...] = (
    "Anna Berg",
    "Lars Nilsson",
    "Priya Nair",
    "Tom Becker",
    "Maria Lopez",
    "Ahmed Saleh",
    "Kenji Mori",
)
WESTERN += ("Sophie Martin", "David Chen", "Lina Tan")
LOGINS = ("zhangsan", "lisi", "wangfang", "liuwei", "chenjing", "km-admin")

SUPPLIER_TOWNS = ("江苏", "浙江温州", "河北泊头", "山东", "天津", "上海", "安徽", "宁波")
SUPPLIER_TRADES = (
    ("铸造", "Foundry", "CS"),
    ("密封件", "Seals", "SL"),
    ("精密机械", "Precision Machining", "ST"),
    ("轴承", "Bearing", "BR"),
    ("紧固件", "Fasteners", "BT"),
    ("锻造", "Forging", "FL"),
)
SUPPLIER_WORDS = (
    "恒达",
    "华力",
    "永信",
    "金诚",
    "宏远",
    "瑞丰",
    "东方",
    "国泰",
    "振华",
    "新源",
    "通达",
    "百盛",
)

CUSTOMER_ZH = ("石化", "水务", "热电", "制药", "化工", "环保", "燃气", "矿业")
CUSTOMER_WORDS = ("海川", "长江", "北辰", "东岳", "中原", "南海", "西部", "金桥", "天河", "华信")
CUSTOMER_EN: tuple[str, ...] = (
    "Nordic Water Utilities",
    "Gulf Petrochem Services",
    "Danube Energy",
    "Andes Mining Supply",
)
CUSTOMER_EN += ("Pacific Pharma Works", "Rhine Chemical Park", "Saigon Water Corp", "Anatolia Power")
INDUSTRIES: tuple[str, ...] = (
    "Oil & Gas",
    "Water & Wastewater",
    "Power Generation",
    "Pharmaceutical",
    "Chemical",
    "HVAC",
)
INDUSTRIES += ("Mining", "石油化工", "市政水务")
REGIONS = ("华东", "华北", "华南", "西南", "Europe", "Middle East", "Southeast Asia", "South America")
TITLES: tuple[str, ...] = (
    "采购经理",
    "设备主管",
    "工艺工程师",
    "总工程师",
    "Procurement Manager",
    "Maintenance Lead",
)
TITLES += ("Plant Engineer", "Project Director", "仓库主管")
STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
SEVERITIES = ("critical", "high", "medium", "low")
TICKET_STATUS = ("open", "in_progress", "resolved", "closed")
ACTIVITY_TYPES = ("call", "visit", "email", "meeting")

PROJECTS = (
    ("炼化一体化项目", "refinery integration project"),
    ("污水处理厂扩建", "wastewater plant expansion"),
    ("热电联产改造", "CHP retrofit"),
    ("GMP车间新建", "new GMP workshop"),
    ("长输管线", "long-distance pipeline"),
    ("LNG接收站", "LNG terminal"),
)
