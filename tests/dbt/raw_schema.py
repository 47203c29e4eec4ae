"""Raw table shapes per docs/ARCHITECTURE.md (Raw table convention) and shared/sources.md, used to build fixtures."""
# (name, type, description)
META = [
 ("_load_id","VARCHAR","Manifest load_id of the file the row came from (ops.load_manifest)."),
 ("_brand","VARCHAR","Brand folder of the landing path."),
 ("_store","VARCHAR","Store from the path (pop/self) or the fixed store of a single-store source; NULL when the file has its own 店铺 column or no store."),
 ("_period","VARCHAR","Folder period as written (YYYY-MM-DD, YYYY-MM, YYYYQn, YYYY)."),
 ("_row_number","INTEGER","1-based data row number in the file, header excluded."),
]
M="DECIMAL(18,2)"; D="DECIMAL(18,4)"; I="BIGINT"; T="VARCHAR"
SRC = {
 "jd_pop_orders": ("京麦 POP order export, one row per order line (store pop); folder date = order date.", [
  ("order_id",T,"订单号; with sku_id the line key."),("sku_id",T,"商品ID, JD SKU of the POP store."),("sku_name",T,"商品名称."),
  ("qty",I,"订购数量."),("payment_method",T,"支付方式 (在线支付, 货到付款)."),("order_ts","TIMESTAMP","下单时间."),
  ("unit_price",M,"京东价, list price per unit."),("order_amount",M,"订单金额, order level, repeated on every line."),
  ("settlement_amount",M,"结算金额, order level, repeated."),("payable_amount",M,"应付金额, order level, repeated: buyer pays, freight included."),
  ("balance_paid",M,"余额支付, order level, repeated."),("freight",M,"运费金额, order level, repeated."),
  ("order_status",T,"订单状态 as delivered; a (删除) prefix means hidden by the merchant."),("order_type",T,"订单类型."),
  ("buyer_key",T,"Salted SHA-256 of 下单帐号 (personal data never stored)."),("province",T,"Province the 客户地址 starts with (rest dropped)."),
  ("paid_ts","TIMESTAMP","付款确认时间; NULL = unpaid."),("article_code",T,"货号."),("completed_ts","TIMESTAMP","订单完成时间."),("order_source",T,"订单来源.")]),
 "jd_vc_sales": ("京东自营 商品业绩 (VC), one row per SKU and day (store self).", [
  ("date_day","DATE","时间."),("sku_id",T,"SKU of the self-operated listing."),("sku_name",T,"商品名称."),("brand_name",T,"品牌."),
  ("cat_l1",T,"一级类目."),("cat_l2",T,"二级类目."),("cat_l3",T,"三级类目."),("units",I,"财务销量, negative on net-return days."),
  ("revenue",M,"收入: JD retail revenue."),("jd_cost",M,"成本: sell-in price × units."),("jd_gross_profit",M,"毛利."),
  ("coupon_deduction",M,"优惠券抵减数."),("promo_deduction",M,"满返满减额.")]),
 "jd_vc_inventory": ("京东自营 商品库存表, end-of-day snapshot per SKU × 配送中心 plus a 全国 row per SKU.", [
  ("date_day","DATE","时间."),("sku_id",T,"SKU."),("sku_name",T,"商品名称."),("dc",T,"配送中心, or 全国 for the national total."),
  ("on_hand",I,"库存件数."),("available",I,"可用库存."),("inbound_open",I,"采购未到货."),("unsellable",I,"不可售."),
  ("shipped_units",I,"昨日出库商品件数."),("days_of_cover",D,"预计可售天数; NULL when nothing ships.")]),
 "jd_vc_purchase_orders": ("京东自营 采购单; folder date = export date, a PO line appears on several days, newest state wins.", [
  ("po_id",T,"采购单号; with sku_id the key."),("created_ts","TIMESTAMP","创建时间."),("sku_id",T,"SKU."),("sku_name",T,"商品名称."),
  ("dc",T,"配送中心."),("qty_ordered",I,"采购数量."),("qty_confirmed",I,"回告数量."),("qty_received",I,"实收数量."),
  ("unit_cost_to_jd",M,"采购价: the brand's sell-in price."),("po_amount",M,"采购金额."),("po_status",T,"状态 (待回告, 已回告, 部分收货, 已完成, 已取消)."),
  ("eta_date","DATE","预约到货日期."),("completed_ts","TIMESTAMP","完成时间.")]),
 "jd_sz_sku": ("京东商智 商品明细 per SKU and day, both stores (_store from the path).", [
  ("date_day","DATE","时间."),("sku_id",T,"SKU."),("sku_name",T,"SKU名称."),("cat_l1",T,"一级类目."),("cat_l2",T,"二级类目."),("cat_l3",T,"三级类目."),
  ("visitors",I,"商品访客数."),("page_views",I,"商品浏览量."),("cart_buyers",I,"加购客户数."),("order_buyers",I,"下单客户数."),
  ("order_count",I,"下单单量."),("order_amount",M,"下单金额."),("deal_buyers",I,"成交客户数."),("deal_orders",I,"成交单量."),
  ("deal_units",I,"成交商品件数."),("deal_amount",M,"成交金额."),("deal_conversion","DOUBLE","成交转化率 as delivered (ratio); recomputed downstream."),
  ("refund_amount",M,"取消及售后退款金额.")]),
 "jd_sz_traffic": ("京东商智 流量来源 detail rows (subtotals dropped by the loader), both stores.", [
  ("date_day","DATE","时间."),("source_l1",T,"一级来源."),("source_l2",T,"二级来源."),("source_l3",T,"三级来源."),
  ("visitors",I,"访客数."),("page_views",I,"浏览量."),("deal_buyers",I,"成交客户数."),("deal_amount",M,"成交金额."),
  ("deal_conversion","DOUBLE","成交转化率 as delivered; recomputed downstream.")]),
 "jd_sz_industry": ("京东商智 行业 品牌榜, monthly top brands per 三级类目.", [
  ("month",T,"月份 YYYY-MM."),("cat_l3",T,"三级类目."),("rank",I,"排名."),("brand_name",T,"品牌."),("deal_index",I,"成交金额指数."),
  ("visitor_index",I,"访客指数."),("search_index",I,"搜索指数."),("deal_amount_range",T,"成交金额区间 as delivered."),
  ("deal_amount_low",M,"Lower bound of the range in CNY."),("deal_amount_high",M,"Upper bound in CNY (NULL for open ranges).")]),
 "jd_ads": ("京准通 custom report, day × campaign × ad group × SKU; newest pull of a day kept by the loader.", [
  ("date_day","DATE","日期."),("account_name",T,"账户名称."),("product_line",T,"产品线 as delivered (mapped in staging)."),
  ("campaign_id",T,"计划ID."),("campaign_name",T,"推广计划."),("adgroup_id",T,"单元ID."),("adgroup_name",T,"推广单元."),("sku_id",T,"跟单SKU ID."),
  ("impressions",I,"展现数."),("clicks",I,"点击数."),("cost",M,"总费用 / 花费."),("direct_orders",I,"直接订单行."),("direct_order_amount",M,"直接订单金额."),
  ("indirect_orders",I,"间接订单行."),("indirect_order_amount",M,"间接订单金额."),("total_orders",I,"总订单行."),("total_order_amount",M,"总订单金额."),
  ("carts",I,"总购物车数."),("attribution_days",T,"转化周期, e.g. 15天.")]),
 "tp_action_plan": ("TP agency 30-60-90 plan tracker, weekly snapshots (all kept).", [
  ("action_id",T,"计划编号."),("horizon",T,"周期 (30天, 60天, 90天)."),("plan_start","DATE","计划开始日期."),("action",T,"行动项."),
  ("owner_id",T,"负责人工号."),("store",T,"店铺 (POP, 自营, 全部) as delivered."),("due_date","DATE","截止日期."),("status",T,"状态."),
  ("metric",T,"指标."),("target",D,"目标值."),("current",D,"当前值.")]),
 "tp_team_kpi": ("TP agency team KPI targets per staff × KPI and quarter.", [
  ("quarter",T,"季度 YYYYQn."),("staff_id",T,"工号."),("staff_name",T,"姓名."),("role",T,"岗位."),("store",T,"店铺 as delivered."),
  ("kpi",T,"KPI指标."),("weight","DOUBLE","权重 as a ratio."),("target",D,"目标值."),("self_reported",D,"实际值(自报).")]),
 "tp_campaign_plan": ("Campaigns and platform resources, one row per campaign × resource slot.", [
  ("campaign_code",T,"活动编号."),("campaign_title",T,"活动名称."),("campaign_type",T,"活动类型."),("store",T,"店铺 as delivered."),
  ("warmup_start","DATE","预热开始."),("start_date","DATE","正式开始."),("end_date","DATE","结束日期."),("target_gmv",M,"目标GMV (campaign level, repeated per resource row)."),
  ("ads_budget",M,"广告预算 (campaign level, repeated)."),("resource_slot",T,"资源位."),("resource_terms",T,"资源获取方式."),("resource_cost",M,"资源成本.")]),
 "fin_sales_plan": ("Annual sales plan; every version kept.", [
  ("plan_version",T,"版本."),("published_on","DATE","发布日期."),("month",T,"年月 YYYY-MM."),("store",T,"店铺 (POP, 自营)."),
  ("category",T,"品类 (= 一级类目)."),("target_gmv",M,"目标GMV."),("target_units",I,"目标销量."),("ads_budget",M,"广告预算.")]),
 "fin_opex_budget": ("OPEX budget; every version kept. English names follow fin_sales_plan (not named in sources.md).", [
  ("plan_version",T,"版本."),("published_on","DATE","发布日期."),("month",T,"年月 YYYY-MM."),("cost_center",T,"成本中心 (JD-POP, JD-自营, JD-共享)."),
  ("cost_type",T,"费用类型 as delivered (code or Chinese name)."),("budget_amount",M,"预算金额.")]),
 "fin_opex_actuals": ("General-ledger lines; newest delivery of a month kept by the loader.", [
  ("voucher_id",T,"凭证号; with line_no the key."),("line_no",I,"行号."),("voucher_date","DATE","凭证日期."),("period",T,"会计期间 YYYY-MM."),
  ("cost_center",T,"成本中心."),("account_code",T,"科目编码."),("account_name",T,"科目名称."),("vendor",T,"供应商."),("memo",T,"摘要."),
  ("debit",M,"借方金额."),("credit",M,"贷方金额."),("currency",T,"币种.")]),
 "ref_products": ("The brand's product master; newest delivery wins.", [
  ("sku_id",T,"SKU (store-specific)."),("store",T,"店铺 (POP, 自营)."),("article_code",T,"货号."),("sku_name",T,"商品名称."),
  ("category",T,"品类."),("subcategory",T,"子品类."),("gtm_season",T,"上市季节 e.g. 2026SS."),("launch_date","DATE","上市日期."),
  ("delist_date","DATE","退市日期."),("list_price",M,"吊牌价."),("unit_cogs",M,"单位成本."),("status",T,"状态 (在售, 停售).")]),
}
