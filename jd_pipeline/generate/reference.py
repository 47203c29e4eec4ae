"""Reference data the generator uses, kept as data so dbt seeds and tests can match it.

Everything here is fictional demo data. `COMMISSION_RATE_CARD` is the POP commission rate
(佣金扣点) by 一级类目 that the generated ledger charges on POP net sales; the P&L estimate for
months without a ledger should use the same card (`reference_json()` dumps it all).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# --------------------------------------------------------------------------------- brands
BRAND_NAMES: list[str] = [
    "澜途（LANTU）",
    "北屿（BEIYU）",
    "青禾（QINGHE）",
    "森野（SENYE）",
    "沐光（MUGUANG）",
    "拾月（SHIYUE）",
]
ARTICLE_PREFIX: list[str] = ["LT", "BY", "QH", "SY", "MG", "SH"]
ACCOUNT_SUFFIX = "京准通账户"


# ----------------------------------------------------------------------------- categories
@dataclass(frozen=True)
class Cat3:
    l1: str
    l2: str
    l3: str
    price: float  # typical 吊牌价 (CNY)
    season_peak: int  # month of peak demand (1..12); 0 = no season


CATEGORY_FAMILIES: list[list[Cat3]] = [
    [
        Cat3("运动户外", "户外服装", "冲锋衣", 899, 11),
        Cat3("运动户外", "户外服装", "软壳衣", 599, 10),
        Cat3("运动户外", "户外服装", "速干T恤", 199, 7),
        Cat3("运动户外", "户外鞋靴", "徒步鞋", 699, 4),
        Cat3("运动户外", "户外鞋靴", "越野跑鞋", 799, 5),
        Cat3("服饰内衣", "男装", "羽绒服", 1299, 12),
        Cat3("服饰内衣", "男装", "卫衣", 299, 10),
    ],
    [
        Cat3("家用电器", "厨房小电", "电饭煲", 499, 0),
        Cat3("家用电器", "厨房小电", "空气炸锅", 399, 0),
        Cat3("家用电器", "个护健康", "电动牙刷", 299, 0),
        Cat3("家用电器", "个护健康", "吹风机", 399, 0),
        Cat3("家居日用", "收纳用品", "收纳箱", 89, 3),
        Cat3("家居日用", "清洁用具", "拖把", 129, 0),
    ],
    [
        Cat3("美妆护肤", "面部护肤", "精华", 399, 0),
        Cat3("美妆护肤", "面部护肤", "面霜", 329, 12),
        Cat3("美妆护肤", "面部护肤", "防晒", 159, 6),
        Cat3("个人护理", "洗发护发", "洗发水", 79, 0),
        Cat3("个人护理", "身体护理", "沐浴露", 69, 7),
    ],
]

# POP commission rate card (佣金扣点) by 一级类目.
COMMISSION_RATE_CARD: dict[str, float] = {
    "运动户外": 0.05,
    "服饰内衣": 0.08,
    "家用电器": 0.04,
    "家居日用": 0.06,
    "美妆护肤": 0.07,
    "个人护理": 0.06,
}

# Agency fee (代运营服务费) per month: base + rate × POP gmv (scaled by --scale).
AGENCY_FEE_BASE_CNY = 60_000.0
AGENCY_FEE_GMV_RATE = 0.03
PLATFORM_FEE_MONTHLY_CNY = 1_000.0  # 平台使用费 (annual 12,000 billed monthly), JD-POP

# ---------------------------------------------------------------------------- geography
# Provinces weighted roughly like JD's buyer base (share of orders).
PROVINCES: list[tuple[str, float]] = [
    ("广东", 0.125),
    ("江苏", 0.085),
    ("北京", 0.075),
    ("浙江", 0.07),
    ("山东", 0.065),
    ("上海", 0.06),
    ("四川", 0.055),
    ("河南", 0.05),
    ("湖北", 0.045),
    ("河北", 0.04),
    ("福建", 0.035),
    ("湖南", 0.035),
    ("安徽", 0.03),
    ("陕西", 0.03),
    ("辽宁", 0.028),
    ("天津", 0.022),
    ("重庆", 0.022),
    ("江西", 0.02),
    ("广西", 0.018),
    ("云南", 0.016),
    ("山西", 0.015),
    ("黑龙江", 0.012),
    ("吉林", 0.01),
    ("贵州", 0.01),
    ("内蒙古", 0.008),
    ("新疆", 0.006),
    ("甘肃", 0.006),
    ("海南", 0.005),
    ("宁夏", 0.003),
    ("青海", 0.002),
    ("西藏", 0.001),
]
# JD RDCs with their share of self-operated demand.
DCS: list[tuple[str, float]] = [
    ("北京", 0.18),
    ("上海", 0.2),
    ("广州", 0.2),
    ("成都", 0.1),
    ("武汉", 0.1),
    ("沈阳", 0.07),
    ("西安", 0.07),
    ("德州", 0.08),
]
NATIONAL_DC = "全国"

# ------------------------------------------------------------------------- sales regions
# The brand's own sales regions (ref_regions): province (short name, as in PROVINCES) -> 大区.
SALES_REGIONS: dict[str, str] = {
    "北京": "华北",
    "天津": "华北",
    "河北": "华北",
    "山西": "华北",
    "内蒙古": "华北",
    "河南": "华北",
    "上海": "华东",
    "江苏": "华东",
    "浙江": "华东",
    "山东": "华东",
    "安徽": "华东",
    "福建": "华东",
    "江西": "华东",
    "广东": "华南",
    "广西": "华南",
    "海南": "华南",
    "湖北": "华中",
    "湖南": "华中",
    "四川": "西南",
    "重庆": "西南",
    "云南": "西南",
    "贵州": "西南",
    "西藏": "西南",
    "陕西": "西北",
    "甘肃": "西北",
    "宁夏": "西北",
    "青海": "西北",
    "新疆": "西北",
    "辽宁": "东北",
    "吉林": "东北",
    "黑龙江": "东北",
}
# Provinces the first region master forgets (their orders go to 未分配 with a warning until the
# second master maps them), and the reorganisation the second master brings.
REGION_MASTER_GAPS = ("西藏", "青海")
REGION_MASTER_MOVES = {"河南": "华中"}
DC_REGIONS: dict[str, str] = {
    "北京": "华北",
    "上海": "华东",
    "广州": "华南",
    "成都": "西南",
    "武汉": "华中",
    "沈阳": "东北",
    "西安": "西北",
    "德州": "华北",
}
DC_MASTER_GAPS = ("德州",)  # not in the first master either
# Full names as 客户地址 starts (the master writes most provinces this way, a few by short name).
PROVINCE_FULL: dict[str, str] = {
    "北京": "北京市",
    "天津": "天津市",
    "上海": "上海市",
    "重庆": "重庆市",
    "内蒙古": "内蒙古自治区",
    "广西": "广西壮族自治区",
    "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区",
}

# -------------------------------------------------------------------------------- orders
PAYMENT_METHODS = ["在线支付", "货到付款"]
ORDER_TYPES = ["普通订单", "预售订单", "拼购订单"]
ORDER_SOURCES: list[tuple[str, float]] = [
    ("移动端", 0.74),
    ("微信", 0.12),
    ("PC", 0.09),
    ("京东小程序", 0.05),
]
ORDER_STATUSES = [
    "等待付款",
    "等待付款确认",
    "等待出库",
    "(锁定)等待出库",
    "等待确认收货",
    "完成",
    "锁定",
    "暂停",
    "已取消",
]
DELETED_PREFIX = "(删除)"
ORDER_REMARKS = ["请尽快发货", "送人的，不要放发票", "周末送货", "联系电话138****0000"]
MERCHANT_REMARKS = ["赠品已备注", "客户要求改地址", "加急"]
HOURLY_ORDER_SHAPE = [
    1.2,
    0.6,
    0.3,
    0.2,
    0.15,
    0.2,
    0.4,
    0.8,
    1.3,
    1.7,
    2.0,
    1.9,
    1.6,
    1.5,
    1.6,
    1.6,
    1.5,
    1.5,
    1.6,
    1.9,
    2.3,
    2.5,
    2.2,
    1.6,
]

# ------------------------------------------------------------------------------ 京准通 ads
# code -> (historic name, transitional name, current name), share of ad rows, ctr, cpc CNY
PRODUCT_LINES: dict[str, tuple[str, str, str]] = {
    "kuaiche": ("快车", "京东快车", "京东快车"),
    "recommendation": ("购物触点", "推荐广告（原购物触点）", "推荐广告"),
    "smart": ("京速推", "智能投放（原京速推）", "智能投放"),
    "display": ("京东展位", "京东展位", "京东展位"),
    "brand_juxiao": ("品牌聚效", "品牌聚效", "品牌聚效"),
    "offsite": ("京东直投", "站外广告（原京东直投）", "站外广告"),
}
PRODUCT_LINE_NAMES: dict[str, str] = {name: code for code, names in PRODUCT_LINES.items() for name in names}
AD_LINE_MIX: dict[str, tuple[float, float, float]] = {  # share of rows, ctr, cpc
    "kuaiche": (0.40, 0.020, 1.6),
    "recommendation": (0.25, 0.012, 1.1),
    "smart": (0.15, 0.015, 1.3),
    "display": (0.08, 0.004, 2.4),
    "brand_juxiao": (0.05, 0.006, 1.9),
    "offsite": (0.07, 0.008, 0.9),
}
# 商智 traffic: the paid 二级来源 fed by each product line
PAID_SOURCE_OF_LINE: dict[str, str] = {
    "kuaiche": "京东快车",
    "recommendation": "推荐广告",
    "smart": "智能投放",
    "display": "京东展位",
    "brand_juxiao": "品牌聚效",
    "offsite": "站外广告",
}
ATTRIBUTION_DAYS = 15

# ---------------------------------------------------------------------------- 商智 traffic
# (一级来源, 二级来源, 三级来源, share of free visitors)
FREE_TRAFFIC: list[tuple[str, str, str, float]] = [
    ("免费流量", "搜索", "关键词搜索", 0.24),
    ("免费流量", "搜索", "类目搜索", 0.05),
    ("免费流量", "推荐", "首页推荐", 0.12),
    ("免费流量", "推荐", "商详推荐", 0.06),
    ("免费流量", "推荐", "购物车推荐", 0.04),
    ("免费流量", "活动", "秒杀", 0.04),
    ("免费流量", "活动", "频道活动", 0.05),
    ("免费流量", "店铺", "店铺首页", 0.05),
    ("自主访问", "购物车", "购物车", 0.12),
    ("自主访问", "我的京东", "我的关注", 0.06),
    ("自主访问", "我的京东", "我的订单", 0.05),
    ("站外流量", "社交媒体", "微信", 0.05),
    ("站外流量", "内容平台", "抖音", 0.03),
    ("其他", "其他", "其他", 0.04),
]
PAID_L3: dict[str, list[str]] = {
    "京东快车": ["搜索快车", "推荐快车"],
    "推荐广告": ["首页推荐位", "商详推荐位"],
    "智能投放": ["全站营销"],
    "京东展位": ["首焦"],
    "品牌聚效": ["品牌专区"],
    "站外广告": ["站外媒体"],
}
TRAFFIC_L1_ORDER = ["免费流量", "付费流量", "自主访问", "站外流量", "其他"]

# ------------------------------------------------------------------------------ industry
COMPETITOR_BRANDS: list[str] = [
    "远峰",
    "极地狐",
    "山海行",
    "踏云",
    "野径",
    "风驰",
    "骆驼峰",
    "探索者",
    "云脉",
    "雪线",
    "凯越",
    "美厨",
    "净享",
    "智选",
    "乐居",
    "优品汇",
    "安绒",
    "初颜",
    "悦肤",
    "清研",
    "植萃集",
    "花漾",
    "木槿",
    "润泽",
    "晨曦",
    "澄心",
    "海蓝",
    "星野",
    "桐木",
    "禾光",
]
DEAL_AMOUNT_BUCKETS: list[tuple[float, float | None, str]] = [
    (0, 100_000, "0~10万"),
    (100_000, 250_000, "10万~25万"),
    (250_000, 500_000, "25万~50万"),
    (500_000, 1_000_000, "50万~100万"),
    (1_000_000, 2_500_000, "100万~250万"),
    (2_500_000, 5_000_000, "250万~500万"),
    (5_000_000, 10_000_000, "500万~1000万"),
    (10_000_000, None, "1000万以上"),
]

# ----------------------------------------------------------------------------- TP agency
ROLES = ["店长", "运营", "推广", "客服", "设计", "数据"]
ROLE_KPIS: dict[str, list[tuple[str, int]]] = {  # kpi, weight % (sums to 100)
    "店长": [("GMV达成率", 50), ("广告ROI", 20), ("行动项按时完成率", 30)],
    "运营": [("GMV达成率", 40), ("成交转化率", 30), ("行动项按时完成率", 30)],
    "推广": [("广告ROI", 50), ("付费流量占比", 30), ("GMV达成率", 20)],
    "客服": [("客服响应时长", 60), ("成交转化率", 40)],
    "设计": [("成交转化率", 60), ("行动项按时完成率", 40)],
    "数据": [("行动项按时完成率", 50), ("GMV达成率", 50)],
}
KPI_TARGETS: dict[str, tuple[float, float]] = {  # typical target, spread
    "GMV达成率": (1.0, 0.0),
    "广告ROI": (5.0, 1.5),
    "成交转化率": (0.035, 0.01),
    "付费流量占比": (0.30, 0.08),
    "行动项按时完成率": (0.9, 0.05),
    "客服响应时长": (30.0, 8.0),
}
SELF_REPORTED_KPIS = {"客服响应时长"}
STAFF_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"]
ACTION_TEMPLATES: list[tuple[str, str, float]] = [  # action, metric, typical target
    ("优化核心SKU主图与详情页", "成交转化率", 0.04),
    ("搭建快车核心词计划并调价", "广告ROI", 5.0),
    ("提升店铺搜索排名", "搜索访客数", 20000),
    ("清理滞销库存", "库存周转天数", 45),
    ("新品上市推广", "新品GMV", 500000),
    ("大促备货与预售准备", "预售订单数", 3000),
    ("客服话术优化", "咨询转化率", 0.35),
    ("提升好评率", "好评率", 0.98),
    ("会员拉新活动", "新增会员数", 5000),
    ("推荐广告人群包测试", "点击率", 0.015),
    ("自营补货节奏对齐", "自营现货率", 0.95),
    ("达人直播合作", "直播GMV", 200000),
]
ACTION_STATUSES = ["未开始", "进行中", "已完成", "已延期", "已取消"]

# ------------------------------------------------------------------------------ campaigns
# type, title suffix, month, official start day, end day, warm-up days, peak multiplier
CAMPAIGN_TYPES = ["618", "双11", "年货节", "超级品牌日", "品类日", "其他"]
RESOURCE_SLOTS: list[tuple[str, str]] = [  # 资源位, 资源获取方式
    ("首页焦点图", "付费"),
    ("频道页", "置换"),
    ("秒杀", "付费"),
    ("品类日会场", "免费"),
    ("搜索品专", "付费"),
    ("会场楼层", "置换"),
]

# ----------------------------------------------------------------------------- finance
CHART_OF_ACCOUNTS: dict[str, tuple[str, str, str]] = {  # code -> (name, cost_type, 费用类型)
    "6601.01": ("销售费用-广告费", "ads", "广告费"),
    "6601.02": ("销售费用-代运营服务费", "agency_fee", "代运营服务费"),
    "6601.03": ("销售费用-平台使用费", "platform_fee", "平台使用费"),
    "6601.04": ("销售费用-佣金扣点", "commission", "佣金扣点"),
    "6601.05": ("销售费用-物流仓储费", "logistics", "物流仓储"),
    "6601.06": ("销售费用-营销活动费", "campaign", "营销活动"),
    "6601.07": ("销售费用-样品赠品", "samples", "样品赠品"),
    "6601.08": ("销售费用-人员费用", "staff", "人员"),
    "6601.99": ("销售费用-其他", "other", "其他"),
}
ACCOUNT_OF_COST_TYPE: dict[str, str] = {v[1]: k for k, v in CHART_OF_ACCOUNTS.items()}
COST_CENTERS = {"pop": "JD-POP", "self": "JD-自营", "shared": "JD-共享"}
VENDORS: dict[str, str] = {
    "ads": "北京京东世纪贸易有限公司",
    "agency_fee": "上海测试代运营有限公司",
    "platform_fee": "北京京东世纪贸易有限公司",
    "commission": "北京京东世纪贸易有限公司",
    "logistics": "京东物流测试供应链有限公司",
    "campaign": "北京京东世纪贸易有限公司",
    "samples": "测试样品供应商有限公司",
    "staff": "内部人员",
    "other": "测试杂项供应商",
}
# Spring Festival (春节) dates: logistics slow down around them, 年货节 runs before them.
SPRING_FESTIVAL: dict[int, str] = {
    2023: "2023-01-22",
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2027: "2027-02-06",
    2028: "2028-01-26",
    2029: "2029-02-13",
    2030: "2030-02-03",
}


def reference_json() -> str:
    """The reference data as JSON (for seeds, tests and the generation manifest)."""
    return json.dumps(
        {
            "commission_rate_card": COMMISSION_RATE_CARD,
            "agency_fee": {"base_cny_at_scale_1": AGENCY_FEE_BASE_CNY, "gmv_rate": AGENCY_FEE_GMV_RATE},
            "platform_fee_monthly_cny": PLATFORM_FEE_MONTHLY_CNY,
            "product_lines": PRODUCT_LINE_NAMES,
            "chart_of_accounts": {k: {"name": v[0], "cost_type": v[1]} for k, v in CHART_OF_ACCOUNTS.items()},
            "provinces": dict(PROVINCES),
            "dcs": dict(DCS),
        },
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
    )
