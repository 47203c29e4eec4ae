-- JD-共享 ledger total of a month split between pop and self by their share of the month's gmv,
-- to the cent (round half up on integer cents), remainder on the store with the larger gmv (pop on a tie) so the split adds up exactly.
-- A month with no gmv at all splits evenly.
with shared as (
    select brand, month_start, sum(amount) as shared_total
    from {{ ref('stg_fin_opex_actuals__ledger_lines') }}
    where cost_center = 'shared'
    group by brand, month_start
),
stores as (
    select store_type from {{ ref('stores') }}
),
gmv as (
    select * from {{ ref('int_store_gmv__monthly') }}
),
grid as (
    select
        s.brand,
        s.month_start,
        st.store_type,
        s.shared_total,
        coalesce(g.gmv, 0) as gmv
    from shared as s
    cross join stores as st
    left join gmv as g
        on g.brand = s.brand and g.month_start = s.month_start and g.store_type = st.store_type
),
shares as (
    select
        *,
        sum(gmv) over (partition by brand, month_start) as total_gmv,
        count(*) over (partition by brand, month_start) as n_stores,
        row_number() over (partition by brand, month_start order by gmv desc, store_type asc) as gmv_rank
    from grid
),
cents as (
    select
        *,
        cast(round(shared_total * 100, 0) as bigint) as shared_cents,
        cast(round(gmv * 100, 0) as bigint)          as gmv_cents,
        cast(round(total_gmv * 100, 0) as bigint)    as total_gmv_cents
    from shares
),
rounded as (
    select
        *,
        -- round half up, exact integer arithmetic
        case when total_gmv_cents = 0
             then {{ int_div('2 * shared_cents + n_stores', '2 * n_stores') }}
             else {{ int_div('2 * shared_cents * gmv_cents + total_gmv_cents', '2 * total_gmv_cents') }}
        end as alloc_cents
    from cents
)
select
    brand,
    month_start,
    store_type,
    cast(shared_total as decimal(18,2)) as shared_total,
    cast(gmv as decimal(18,2))          as gmv,
    {{ safe_ratio('gmv', 'total_gmv') }} as gmv_share,
    cast(
        cast(alloc_cents
             + case when gmv_rank = 1
                    then shared_cents - sum(alloc_cents) over (partition by brand, month_start)
                    else 0 end
             as decimal(18,0)) / 100
        as decimal(18,2))               as allocated_shared
from rounded
