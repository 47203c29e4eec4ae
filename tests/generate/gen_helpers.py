"""Reading generated files back the way a loader would (independent of the generator's code)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import python_calamine

CSV_ENCODING = {
    "jd_pop_orders": "gb18030",
    "fin_opex_actuals": "gb18030",
    "jd_ads": "utf-8-sig",
    "jd_vc_purchase_orders": "utf-8-sig",
}

HEADERS: dict[str, list[str]] = {
    "jd_pop_orders": [
        "订单号",
        "商品ID",
        "商品名称",
        "订购数量",
        "支付方式",
        "下单时间",
        "京东价",
        "订单金额",
        "结算金额",
        "应付金额",
        "余额支付",
        "运费金额",
        "订单状态",
        "订单类型",
        "下单帐号",
        "客户姓名",
        "客户地址",
        "联系电话",
        "订单备注",
        "商家备注",
        "付款确认时间",
        "货号",
        "订单完成时间",
        "订单来源",
    ],
    "jd_vc_sales": [
        "时间",
        "SKU",
        "商品名称",
        "品牌",
        "一级类目",
        "二级类目",
        "三级类目",
        "财务销量",
        "收入",
        "成本",
        "毛利",
        "优惠券抵减数",
        "满返满减额",
    ],
    "jd_vc_inventory": [
        "时间",
        "SKU",
        "商品名称",
        "配送中心",
        "库存件数",
        "可用库存",
        "采购未到货",
        "不可售",
        "昨日出库商品件数",
        "预计可售天数",
    ],
    "jd_vc_purchase_orders": [
        "采购单号",
        "创建时间",
        "SKU",
        "商品名称",
        "配送中心",
        "采购数量",
        "回告数量",
        "实收数量",
        "采购价",
        "采购金额",
        "状态",
        "预约到货日期",
        "完成时间",
    ],
    "jd_sz_sku": [
        "时间",
        "SKU",
        "SKU名称",
        "一级类目",
        "二级类目",
        "三级类目",
        "商品访客数",
        "商品浏览量",
        "加购客户数",
        "下单客户数",
        "下单单量",
        "下单金额",
        "成交客户数",
        "成交单量",
        "成交商品件数",
        "成交金额",
        "成交转化率",
        "取消及售后退款金额",
    ],
    "jd_sz_traffic": [
        "时间",
        "一级来源",
        "二级来源",
        "三级来源",
        "访客数",
        "浏览量",
        "成交客户数",
        "成交金额",
        "成交转化率",
    ],
    "jd_sz_industry": [
        "月份",
        "三级类目",
        "排名",
        "品牌",
        "成交金额指数",
        "访客指数",
        "搜索指数",
        "成交金额区间",
    ],
    "jd_ads": [
        "日期",
        "账户名称",
        "产品线",
        "计划ID",
        "推广计划",
        "单元ID",
        "推广单元",
        "跟单SKU ID",
        "展现数",
        "点击数",
        "总费用",
        "直接订单行",
        "直接订单金额",
        "间接订单行",
        "间接订单金额",
        "总订单行",
        "总订单金额",
        "总购物车数",
        "点击率",
        "平均点击成本",
        "ROI",
        "转化周期",
    ],
    "tp_action_plan": [
        "计划编号",
        "周期",
        "计划开始日期",
        "行动项",
        "负责人工号",
        "店铺",
        "截止日期",
        "状态",
        "指标",
        "目标值",
        "当前值",
    ],
    "tp_team_kpi": ["季度", "工号", "姓名", "岗位", "店铺", "KPI指标", "权重", "目标值", "实际值(自报)"],
    "tp_campaign_plan": [
        "活动编号",
        "活动名称",
        "活动类型",
        "店铺",
        "预热开始",
        "正式开始",
        "结束日期",
        "目标GMV",
        "广告预算",
        "资源位",
        "资源获取方式",
        "资源成本",
    ],
    "fin_sales_plan": ["版本", "发布日期", "年月", "店铺", "品类", "目标GMV", "目标销量", "广告预算"],
    "fin_opex_budget": ["版本", "发布日期", "年月", "成本中心", "费用类型", "预算金额"],
    "fin_opex_actuals": [
        "凭证号",
        "行号",
        "凭证日期",
        "会计期间",
        "成本中心",
        "科目编码",
        "科目名称",
        "供应商",
        "摘要",
        "借方金额",
        "贷方金额",
        "币种",
    ],
    "ref_products": [
        "SKU",
        "店铺",
        "货号",
        "商品名称",
        "品类",
        "子品类",
        "上市季节",
        "上市日期",
        "退市日期",
        "吊牌价",
        "单位成本",
        "状态",
    ],
    "fin_region_budget": ["版本", "发布日期", "年月", "大区", "店铺", "目标GMV"],
    "ref_regions": ["类型", "名称", "大区"],
}


def files(out: Path, source: str, pattern: str = "*") -> list[Path]:
    """The generated files of a source; never empty, so a loop over them cannot pass vacuously."""
    found = sorted(p for p in (out / source).rglob(pattern) if p.is_file() and not p.is_symlink())
    assert found, f"no generated files for {source} ({pattern}) under {out}"
    return found


def read_rows(path: Path, source: str) -> list[dict[str, str]]:
    """Rows as dicts of text (xlsx numbers rendered back to text)."""
    if path.suffix == ".csv":
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else CSV_ENCODING[source])
        return list(csv.DictReader(io.StringIO(text)))
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    head = [str(h) for h in sheet[0]]
    out = []
    for r in sheet[1:]:
        out.append({h: _txt(v) for h, v in zip(head, r)})
    return out


def _txt(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def num(v: str) -> float:
    return float(v.replace(",", "").replace("¥", "").replace("￥", "").replace("%", "") or 0)
