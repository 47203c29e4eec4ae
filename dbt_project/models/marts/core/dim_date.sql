-- Calendar from var('dim_date_start') to var('dim_date_end') with JD campaign windows (seed
-- jd_campaign_calendar) and GTM seasons (SS = March–August of the year, AW = September–February).
{% set start_expr = "cast('" ~ var('dim_date_start') ~ "' as date)" %}
{# date_spine's end is exclusive #}
{% set end_expr = dbt.dateadd('day', 1, "cast('" ~ var('dim_date_end') ~ "' as date)") %}
with spine as (
    {{ dbt.date_spine('day', start_expr, end_expr) }}
),
days as (
    select cast(date_day as date) as date_day from spine
),
campaigns as (
    select * from {{ ref('jd_campaign_calendar') }}
),
base as (
    select
        date_day,
        cast({{ date_part('year', 'date_day') }} as integer)    as year,
        cast({{ date_part('quarter', 'date_day') }} as integer) as quarter,
        cast({{ date_part('month', 'date_day') }} as integer)   as month_of_year,
        cast({{ date_part('day', 'date_day') }} as integer)     as day_of_month,
        cast({{ date_part('dow', 'date_day') }} as integer)     as day_of_week,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date)      as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date)     as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date)   as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date)      as year_start
    from days
)
select
    b.date_day,
    b.year,
    b.quarter,
    cast({{ dbt.concat([dbt.safe_cast('b.year', dbt.type_string()), "'Q'", dbt.safe_cast('b.quarter', dbt.type_string())]) }} as {{ type_varchar() }}) as quarter_label,
    cast({{ format_month('b.date_day') }} as {{ type_varchar() }}) as month,
    b.month_of_year,
    b.day_of_month,
    b.day_of_week,
    b.day_of_week in (0, 6)                               as is_weekend,
    b.week_start,
    b.month_start,
    b.quarter_start,
    b.year_start,
    c.campaign_type                                       as jd_campaign_type,
    c.campaign_name                                       as jd_campaign_name,
    cast(case when c.campaign_type is null then null
              when b.date_day < c.start_date then 'warmup'
              else 'main' end as {{ type_varchar() }})                 as jd_campaign_phase,
    cast(case when b.month_of_year between 3 and 8
              then {{ dbt.concat([dbt.safe_cast('b.year', dbt.type_string()), "'SS'"]) }}
              when b.month_of_year >= 9
              then {{ dbt.concat([dbt.safe_cast('b.year', dbt.type_string()), "'AW'"]) }}
              else {{ dbt.concat([dbt.safe_cast('b.year - 1', dbt.type_string()), "'AW'"]) }}
         end as {{ type_varchar() }})                                  as gtm_season
from base as b
left join campaigns as c
    on b.date_day between c.warmup_start and c.end_date
