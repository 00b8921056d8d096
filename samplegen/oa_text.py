"""Topic pools of the OA documents in the sample exports (test/demo data for the OA connector).

Four categories as the OA system files them: 公告 announcements, 制度 policies, 会议纪要 meeting
minutes, 流程 process documents. Each topic carries (Chinese, English) titles, the raw department
that owns it, who may read it ("public" or restricted allow entries), and its specific sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

Allow = tuple[str, str]  # (type, value): ("public", ""), ("dept", "人力资源部"), ("group", "management"), ...
PUBLIC: tuple[Allow, ...] = (("public", ""),)


@dataclass(frozen=True)
class Topic:
    key: str
    zh: str
    en: str
    dept: str
    lines: tuple[tuple[str, str], ...]  # specific rules / steps / agenda items as (zh, en)
    allow: tuple[Allow, ...] = PUBLIC


# fmt: off
# Rules every policy may end with (after its own).
GENERIC_RULES = (
    ("违反本制度者，视情节轻重给予警告、通报批评或经济处罚。", "Breaches lead to a warning, a reprimand or a fine, depending on severity."),
    ("各部门须组织员工学习本制度并签字确认。", "Every department walks its staff through this policy and collects signatures."),
    ("如与国家法律法规冲突，以法律法规为准。", "Where this policy conflicts with the law, the law prevails."),
    ("执行中的问题可通过OA意见箱反馈。", "Questions and suggestions go to the OA feedback box."),
)

# Closing lines of announcements.
NOTICE_LINES = (
    ("请各部门负责人将本通知传达至每位员工。", "Managers, please pass this notice on to every team member."),
    ("如有疑问，请在OA中回复本通知或联系发文部门。", "Questions: reply to this notice in OA or contact the issuing department."),
    ("外包及劳务派遣人员同样适用。", "Contractors and agency staff are included."),
    ("请互相转告，谢谢配合。", "Please tell your colleagues. Thank you for your cooperation."),
    ("相关照片和签到表将在活动结束后归档至OA。", "Photos and sign-in sheets will be filed in OA afterwards."),
)

POLICIES = (
    Topic("attendance", "考勤管理制度", "Attendance Policy", "人力资源部", (
        ("标准工作时间为周一至周五 8:30-17:30，午休一小时。", "Standard hours are 8:30-17:30, Monday to Friday."),
        ("每月迟到累计超过三次者，按事假半天处理。", "More than three late arrivals a month count as half a day of personal leave."),
        ("请假须提前在OA提交申请，经直属上级审批。", "Leave must be requested in OA in advance and approved by the line manager."),
        ("倒班人员以排班表为准，由生产部每月发布。", "Shift workers follow the roster that Production publishes monthly."),
    )),
    Topic("travel", "差旅费报销制度", "Travel Expense Policy", "人力资源部", (
        ("出差须事先填写出差申请单并注明项目号。", "Every trip needs an approved travel request with the project number."),
        ("报销须在返回后十个工作日内提交，附发票原件。", "Claims are due within ten working days of return, with original invoices."),
        ("国际出差须购买公司指定的旅行保险。", "International trips must use the company travel insurance."),
        ("住宿超标部分由个人承担。", "Hotel costs above the limit are paid by the traveller."),
    )),
    Topic("salary", "薪酬管理制度", "Salary Administration Rules", "人力资源部", (
        ("薪资结构由基本工资、岗位津贴、绩效奖金三部分组成。", "Pay consists of base salary, position allowance and performance bonus."),
        ("年度调薪幅度依据绩效等级确定，A级上调8%-12%。", "Annual raises follow the rating; grade A receives 8%-12%."),
        ("薪资信息严格保密，不得相互打听或传播。", "Salary data is confidential and must not be shared."),
        ("工资于每月10日发放，遇节假日提前。", "Salaries are paid on the 10th of each month, earlier before holidays."),
    ), (("dept", "人力资源部"),)),
    Topic("infosec", "信息安全管理制度", "Information Security Policy", "研发部", (
        ("图纸和工艺文件属于公司机密，外发须经部门经理审批。", "Drawings and process files are confidential; sending them out needs approval."),
        ("禁止使用个人U盘拷贝设计数据。", "Personal USB drives must not be used for design data."),
        ("密码至少12位，每90天更换一次。", "Passwords have at least 12 characters and change every 90 days."),
        ("离职员工账号须在最后工作日停用。", "Accounts of leavers are disabled on their last working day."),
    )),
    Topic("supplier", "供应商管理制度", "Supplier Management Procedure", "质量部", (
        ("新供应商须通过现场审核和样件认可(PPAP)后方可批量供货。", "New suppliers deliver in series only after an on-site audit and PPAP approval."),
        ("供应商每季度按质量、交付、价格进行评级(A/B/C/D)。", "Suppliers are rated A/B/C/D every quarter on quality, delivery and price."),
        ("连续两个季度评为D级的供应商将被暂停采购。", "Suppliers rated D for two quarters in a row are put on hold."),
        ("铸件供应商每批须提供化学成分和力学性能报告。", "Casting suppliers send chemistry and mechanical test reports with every lot."),
    )),
    Topic("nonconforming", "不合格品控制程序", "Control of Nonconforming Product", "质量部", (
        ("发现不合格品须立即隔离并挂红色标签。", "Nonconforming parts are isolated at once and tagged red."),
        ("质量部在24小时内开具NCR并组织评审。", "Quality raises an NCR within 24 hours and calls the review."),
        ("处置方式包括返工、返修、让步接收和报废。", "Dispositions are rework, repair, use-as-is by concession, or scrap."),
        ("重复发生的问题须启动8D流程。", "Repeat problems start the 8D process."),
    )),
    Topic("safety", "安全生产责任制", "Work Safety Responsibilities", "生产部", (
        ("车间主任是本车间安全生产第一责任人。", "The workshop manager is first responsible for safety in the workshop."),
        ("进入试压区必须佩戴护目镜和安全帽。", "Goggles and helmets are mandatory in the pressure test area."),
        ("动火作业须办理动火证。", "Hot work needs a hot work permit."),
        ("每月开展一次安全隐患排查。", "A hazard inspection takes place every month."),
    )),
    Topic("training", "培训管理制度", "Training Policy", "人力资源部", (
        ("新员工入职须完成三级安全教育。", "New hires complete three-level safety training."),
        ("特殊工种须持证上岗，证书到期前一个月复训。", "Special trades need a valid licence, renewed one month before expiry."),
        ("培训记录保存在人力资源部，保存期五年。", "HR keeps training records for five years."),
    )),
)

ANNOUNCEMENTS = (
    Topic("holiday", "放假安排的通知", "Holiday Schedule", "人力资源部", (
        ("放假期间请各部门做好设备断电和门窗检查。", "Please switch off equipment and lock windows before the break."),
        ("值班安排见附件，值班人员须保持电话畅通。", "The duty roster is attached; people on duty keep their phones on."),
    )),
    Topic("safety-month", "安全生产月活动的通知", "Safety Month Activities", "生产部", (
        ("本月开展消防演练、隐患排查和安全知识竞赛。", "This month brings a fire drill, a hazard hunt and a safety quiz."),
        ("各车间须于月底前提交自查报告。", "Each workshop submits its self-inspection report by month end."),
    )),
    Topic("quality-month", "质量月活动的通知", "Quality Month Kick-off", "质量部", (
        ("本次质量月主题为“一次做对，零缺陷交付”。", "This year's theme is 'right first time, zero-defect delivery'."),
        ("欢迎各班组提交QC改善课题。", "Teams are invited to submit QC improvement projects."),
    )),
    Topic("launch", "新产品发布的通知", "New Product Launch", "研发部", (
        ("新一代金属硬密封球阀已通过型式试验。", "The new metal-seated ball valve has passed type testing."),
        ("销售部将于下月起接受订单。", "Sales starts taking orders next month."),
    )),
    Topic("visit", "重要客户来访接待安排", "Customer Visit Arrangements", "销售部", (
        ("参观路线为装配线、试压区和理化实验室。", "The tour covers the assembly line, the test bay and the lab."),
        ("请相关区域保持5S整洁。", "Please keep the areas on the route in good 5S order."),
    )),
    Topic("it", "系统维护停机的通知", "System Maintenance Downtime", "", (
        ("停机期间ERP和OA系统暂停使用。", "ERP and OA are unavailable during the maintenance window."),
        ("如有紧急业务请联系值班工程师。", "For urgent matters call the engineer on duty."),
    )),
)

MEETINGS = (
    Topic("quality-weekly", "质量周例会纪要", "Weekly Quality Meeting Minutes", "质量部", (
        ("上周来料批次合格率回顾", "Review of last week's incoming lot acceptance"),
        ("客户投诉及8D进展", "Customer complaints and 8D progress"),
        ("试压泄漏问题跟踪", "Follow-up of hydro test leaks"),
    )),
    Topic("scheduling", "生产调度会纪要", "Production Scheduling Meeting Minutes", "生产部", (
        ("本周订单交付计划", "Delivery plan for this week's orders"),
        ("铸件缺料情况", "Shortage of castings"),
        ("加班与排班安排", "Overtime and shift planning"),
    )),
    Topic("management-review", "管理评审会议纪要", "Management Review Minutes", "质量部", (
        ("质量目标完成情况", "Achievement of quality objectives"),
        ("年度预算与投资计划", "Annual budget and investment plan"),
        ("组织架构调整", "Changes to the organisation"),
    ), (("group", "management"),)),
    Topic("design-review", "新产品开发评审会纪要", "Design Review Minutes", "研发部", (
        ("设计输入与客户技术协议对比", "Design inputs against the customer specification"),
        ("样机试验结果", "Prototype test results"),
        ("模具与工装投入", "Tooling investment"),
    ), (("dept", "研发部"), ("user", "zhangsan"),)),
    Topic("complaint-review", "客户投诉分析会纪要", "Customer Complaint Review Minutes", "销售部", (
        ("本月投诉统计", "Complaint statistics of the month"),
        ("重大投诉案例分析", "Analysis of major complaints"),
        ("索赔处理", "Handling of claims"),
    )),
)

PROCESSES = (
    Topic("iqc", "来料检验流程", "Incoming Inspection Process", "质量部", (
        ("仓库收货并通知IQC", "Warehouse receives the goods and notifies IQC"),
        ("IQC按抽样方案抽检", "IQC samples the lot according to the sampling plan"),
        ("核对材质证明和尺寸", "Check the material certificate and dimensions"),
        ("合格品入库，不合格品开NCR", "Accepted lots go to stock; rejects get an NCR"),
        ("检验记录录入ERP", "Record the inspection result in ERP"),
    )),
    Topic("8d", "8D问题解决流程", "8D Problem Solving Process", "质量部", (
        ("D1 成立跨部门小组", "D1 form a cross-functional team"),
        ("D2 描述问题(5W2H)", "D2 describe the problem (5W2H)"),
        ("D3 实施临时遏制措施", "D3 implement containment"),
        ("D4 分析根本原因(鱼骨图、5Why)", "D4 find the root cause (fishbone, 5 Whys)"),
        ("D5-D6 制定并验证永久纠正措施", "D5-D6 choose and verify permanent corrective actions"),
        ("D7 预防再发生，D8 总结表彰", "D7 prevent recurrence, D8 recognise the team"),
    )),
    Topic("ecn", "工程变更流程", "Engineering Change Process", "研发部", (
        ("提出ECR并说明变更原因", "Raise an ECR stating the reason for change"),
        ("研发部评估对图纸和BOM的影响", "R&D assesses the impact on drawings and BOM"),
        ("变更评审委员会批准", "The change board approves"),
        ("发布ECN并更新ERP物料主数据", "Release the ECN and update ERP item master data"),
        ("生产部确认切换日期", "Production confirms the cut-over date"),
    )),
    Topic("onboarding", "新员工入职流程", "Employee Onboarding Process", "人力资源部", (
        ("发放录用通知并确认入职日期", "Send the offer letter and confirm the start date"),
        ("办理入职手续及劳动合同", "Complete the paperwork and employment contract"),
        ("开通邮箱、OA和门禁权限", "Open e-mail, OA and door access"),
        ("部门导师带教一个月", "A mentor coaches the new hire for one month"),
    )),
    Topic("sample", "样品申请流程", "Sample Request Process", "销售部", (
        ("销售提交样品申请单", "Sales submits the sample request form"),
        ("研发确认技术参数", "R&D confirms the technical parameters"),
        ("生产安排样品制作", "Production builds the sample"),
        ("质量部出具检验报告后发货", "Quality issues the test report, then the sample ships"),
    )),
    Topic("repair", "设备故障报修流程", "Equipment Breakdown Process", "生产部", (
        ("操作工停机并在OA提交报修单", "The operator stops the machine and files a repair request in OA"),
        ("设备科30分钟内响应", "Maintenance responds within 30 minutes"),
        ("维修完成后由班组长验收", "The team leader accepts the repair"),
        ("填写维修记录并分析停机原因", "Log the repair and analyse the downtime cause"),
    )),
)
# fmt: on
