-- period (quarter and year) × brand × staff_id × kpi: the TP agency team KPIs, measured from the warehouse.
--
-- Measured KPIs (the staff member's store from tp_team_kpi; 全部 = both stores), over the period's days
-- that have sales data (a running period is measured to date; its plan prorated by days to that date):
--   GMV达成率       Σ fct_sales_daily.gmv ÷ Σ current-plan target_gmv (int_sales_plan__versions.is_current)
--   广告ROI         Σ fct_ads_daily.total_order_amount ÷ Σ cost
--   成交转化率      Σ fct_traffic_daily.deal_buyers ÷ Σ visitors (all traffic sources)
--   付费流量占比    Σ visitors of 付费流量 ÷ Σ visitors
--   行动项按时完成率 actions owned by the staff member, due in the period and not cancelled, judged at each
--                   action's last known state (its newest snapshot): on_time = true ÷ those already due
--                   (fct_action_plan_status.on_time not null)
-- Self-reported: 客服响应时长 (actual = 实际值(自报), lower is better); source = 'self_reported'.
-- Ratio targets delivered in percent points (> 1.5 for a ratio KPI, e.g. 95 for 95%) are read as ratios.
-- attainment = actual ÷ target (target ÷ actual when lower is better), capped to 0 .. 1.5 (150%);
-- weighted_score = weight × attainment; a staff member's score = Σ weighted_score (1.0 = on target).
-- A KPI that cannot be measured (no plan line, no traffic...) has null actual, attainment and score.
-- Year rows: weight, target and attainment are the averages of the year's quarters and weighted_score =
-- the average of the quarterly weighted scores (a KPI's unmeasurable quarters are left out of its
-- average), so the yearly score is the mean of the quarterly scores (how the agency contract reviews
-- the year); `actual` is measured over the whole year.
with kpi_targets as (
    {% call qualify_rows("row_number() over (partition by brand, quarter, staff_id, kpi order by load_id desc) = 1") -%}
    select
        brand, quarter, staff_id, staff_name, role, coalesce(store_type, 'all') as store_type, kpi,
        cast(weight as double) as weight, cast(target as double) as target_raw,
        cast(self_reported as double) as self_reported,
        cast(substr(quarter, 1, 4) as integer) as year,
        make_date(cast(substr(quarter, 1, 4) as integer), (cast(substr(quarter, 6, 1) as integer) - 1) * 3 + 1, 1)
            as period_start
    from {{ ref('stg_tp_team_kpi__kpi_targets') }}
    {% endcall %}
),
kpi_meta as (
    select * from (values
        ('GMV达成率', 'measured', true, true),
        ('广告ROI', 'measured', true, false),
        ('成交转化率', 'measured', true, true),
        ('付费流量占比', 'measured', true, true),
        ('行动项按时完成率', 'measured', true, true),
        ('客服响应时长', 'self_reported', false, false)
    -- the alias exists to name the VALUES columns
    ) as t(kpi, source, higher_is_better, is_ratio)  -- noqa: AL05
),
periods as (
    select distinct brand, staff_id, store_type, 'quarter' as period_type, quarter as period, period_start,
           cast(period_start + interval 3 month - interval 1 day as date) as period_end
    from kpi_targets
    union all
    select distinct brand, staff_id, store_type, 'year', cast(year as {{ type_varchar() }}), make_date(year, 1, 1),
           make_date(year, 12, 31)
    from kpi_targets
),
stores as (
    select 'pop' as scope, 'pop' as store_type union all select 'self', 'self'
    union all select 'all', 'pop' union all select 'all', 'self'
),
last_day as (
    select brand, max(date_day) as max_day from {{ ref('fct_sales_daily') }} group by brand
),
scope_periods as (
    select distinct p.brand, p.store_type as scope, p.period_type, p.period, p.period_start,
           least(p.period_end, l.max_day) as measured_end
    from periods as p
    join last_day as l on l.brand = p.brand
),
sales as (
    select sp.brand, sp.scope, sp.period_type, sp.period, sum(f.gmv) as gmv
    from scope_periods as sp
    join stores as s on s.scope = sp.scope
    join {{ ref('fct_sales_daily') }} as f
        on f.brand = sp.brand and f.store_type = s.store_type
       and f.date_day between sp.period_start and sp.measured_end
    group by all
),
plan as (
    -- a month only partly covered by the measured days counts for its covered share of days
    select sp.brand, sp.scope, sp.period_type, sp.period,
           -- each month's share rounded to a fixed decimal before the sum: a sum of doubles depends on
           -- the order the rows arrive in, which made identical runs differ in the last digit
           sum(cast(v.target_gmv * ({{ day_diff('v.month_start', 'least(sp.measured_end, last_day(v.month_start))') }} + 1)
               / day(last_day(v.month_start)) as decimal(18, 8))) as plan_gmv
    from scope_periods as sp
    join stores as s on s.scope = sp.scope
    join {{ ref('int_sales_plan__versions') }} as v
        on v.brand = sp.brand and v.store_type = s.store_type and v.is_current
       and v.month_start between sp.period_start and sp.measured_end
    group by all
),
ads as (
    select sp.brand, sp.scope, sp.period_type, sp.period,
           sum(a.cost) as cost, sum(a.total_order_amount) as order_amount
    from scope_periods as sp
    join stores as s on s.scope = sp.scope
    join {{ ref('fct_ads_daily') }} as a
        on a.brand = sp.brand and a.store_type = s.store_type
       and a.date_day between sp.period_start and sp.measured_end
    group by all
),
traffic as (
    select sp.brand, sp.scope, sp.period_type, sp.period,
           sum(t.visitors) as visitors, sum(t.deal_buyers) as deal_buyers,
           sum(case when t.is_paid then t.visitors else 0 end) as paid_visitors
    from scope_periods as sp
    join stores as s on s.scope = sp.scope
    join {{ ref('fct_traffic_daily') }} as t
        on t.brand = sp.brand and t.store_type = s.store_type
       and t.date_day between sp.period_start and sp.measured_end
    group by all
),
latest_actions as (
    select * from {{ ref('fct_action_plan_status') }} where is_action_latest
),
actions as (
    select p.brand, p.staff_id, p.period_type, p.period,
           count(*) filter (where a.on_time)            as on_time_actions,
           count(*) filter (where a.on_time is not null) as due_actions
    from periods as p
    join latest_actions as a
        on a.brand = p.brand and a.owner_id = p.staff_id
       and a.due_date between p.period_start and p.period_end
    group by all
),
measures as (
    select
        p.brand, p.staff_id, p.period_type, p.period,
        {{ safe_ratio('s.gmv', 'pl.plan_gmv') }}                      as gmv_achievement,
        {{ safe_ratio('ad.order_amount', 'ad.cost') }}                as ads_roi,
        {{ safe_ratio('t.deal_buyers', 't.visitors') }}               as deal_conversion,
        {{ safe_ratio('t.paid_visitors', 't.visitors') }}             as paid_traffic_share,
        {{ safe_ratio('ac.on_time_actions', 'ac.due_actions') }}      as on_time_rate
    from periods as p
    left join sales as s on s.brand = p.brand and s.period_type = p.period_type and s.period = p.period
        and s.scope = p.store_type
    left join plan as pl on pl.brand = p.brand and pl.period_type = p.period_type and pl.period = p.period
        and pl.scope = p.store_type
    left join ads as ad on ad.brand = p.brand and ad.period_type = p.period_type and ad.period = p.period
        and ad.scope = p.store_type
    left join traffic as t on t.brand = p.brand and t.period_type = p.period_type and t.period = p.period
        and t.scope = p.store_type
    left join actions as ac on ac.brand = p.brand and ac.staff_id = p.staff_id
        and ac.period_type = p.period_type and ac.period = p.period
),
quarter_rows as (
    select
        k.brand, k.staff_id, k.staff_name, k.role, k.store_type, k.kpi, m.source, m.higher_is_better,
        'quarter' as period_type, k.quarter as period, k.period_start, k.year,
        k.weight,
        case when m.is_ratio and k.target_raw > 1.5 then k.target_raw / 100 else k.target_raw end as target,
        case k.kpi
            when 'GMV达成率' then ms.gmv_achievement
            when '广告ROI' then ms.ads_roi
            when '成交转化率' then ms.deal_conversion
            when '付费流量占比' then ms.paid_traffic_share
            when '行动项按时完成率' then ms.on_time_rate
            else k.self_reported
        end as actual
    from kpi_targets as k
    left join kpi_meta as m on m.kpi = k.kpi
    left join measures as ms
        on ms.brand = k.brand and ms.staff_id = k.staff_id and ms.period_type = 'quarter' and ms.period = k.quarter
),
quarter_scored as (
    select
        *,
        case
            when actual is null or target is null or target = 0 then null
            when higher_is_better then least(greatest(actual / target, 0), 1.5)
            when actual <= 0 then 1.5
            else least(greatest(target / actual, 0), 1.5)
        end as attainment
    from quarter_rows
),
year_rows as (
    select
        q.brand, q.staff_id, max(q.staff_name) as staff_name, max(q.role) as role, max(q.store_type) as store_type,
        q.kpi, max(q.source) as source, 'year' as period_type, cast(q.year as {{ type_varchar() }}) as period,
        make_date(q.year, 1, 1) as period_start,
        avg(q.weight) as weight, avg(q.target) as target,
        case when max(q.source) = 'self_reported' then avg(q.actual) else max(
            case q.kpi
                when 'GMV达成率' then ms.gmv_achievement
                when '广告ROI' then ms.ads_roi
                when '成交转化率' then ms.deal_conversion
                when '付费流量占比' then ms.paid_traffic_share
                when '行动项按时完成率' then ms.on_time_rate
            end) end as actual,
        avg(q.attainment) as attainment,
        avg(q.weight * q.attainment) as weighted_score,
        count(*) as quarters_scored
    from quarter_scored as q
    left join measures as ms
        on ms.brand = q.brand and ms.staff_id = q.staff_id and ms.period_type = 'year'
       and ms.period = cast(q.year as {{ type_varchar() }})
    group by q.brand, q.staff_id, q.kpi, q.year
),
unioned as (
    select brand, staff_id, staff_name, role, store_type, kpi, source, period_type, period, period_start,
           weight, target, actual, attainment, weight * attainment as weighted_score, 1 as quarters_scored
    from quarter_scored
    union all
    select brand, staff_id, staff_name, role, store_type, kpi, source, period_type, period, period_start,
           weight, target, actual, attainment, weighted_score, quarters_scored
    from year_rows
)
select
    cast(period as {{ type_varchar() }})            as period,
    cast(period_type as {{ type_varchar() }})       as period_type,
    cast(period_start as date)         as period_start,
    cast(brand as {{ type_varchar() }})             as brand,
    cast(staff_id as {{ type_varchar() }})          as staff_id,
    cast(staff_name as {{ type_varchar() }})        as staff_name,
    cast(role as {{ type_varchar() }})              as role,
    cast(store_type as {{ type_varchar() }})        as store_type,
    cast(kpi as {{ type_varchar() }})               as kpi,
    weight,
    target,
    actual,
    cast(coalesce(source, 'measured') as {{ type_varchar() }}) as source,
    attainment,
    weighted_score,
    -- a sum of fixed decimals: exact, whatever the order (identical runs, identical checksums)
    cast(sum(weighted_score) over (partition by brand, period, staff_id) as decimal(18, 8)) as staff_score,
    cast(quarters_scored as integer)   as quarters_scored
from (
    {% call select_star_replace(['weight', 'target', 'actual', 'attainment', 'weighted_score']) %}
        cast(weight as decimal(18, 8))         as weight,
        cast(target as decimal(18, 8))         as target,
        cast(actual as decimal(18, 8))         as actual,
        cast(attainment as decimal(18, 8))     as attainment,
        cast(weighted_score as decimal(18, 8)) as weighted_score{% endcall %}
    from unioned
) as fixed
