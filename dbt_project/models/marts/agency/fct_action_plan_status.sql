-- snapshot_date × brand × action_id: every weekly snapshot of the TP agency 30-60-90 plan (history kept).
-- completed_on = the first snapshot date that shows 已完成 (snapshots are weekly, so this is the day the
-- completion became visible). on_time: true when the completion was visible no later than the first
-- snapshot on or after due_date (the weekly grain cannot tell the day); false when completed later or
-- still open after its due date; null while open and not yet due, and for 已取消 items.
-- overdue_days: open past due = snapshot_date − due_date; completed late = completed_on − due_date; else 0
-- (an on-time completion is never overdue).
with snaps as (
    select * from {{ ref('stg_tp_action_plan__action_snapshots') }}
),
-- one row per snapshot file date and action (a re-delivered snapshot replaces the older one upstream)
dedup as (
    {% call qualify_rows("row_number() over (partition by brand, action_id, snapshot_date order by load_id desc) = 1") -%}
    select *
    from snaps
    {% endcall %}
),
completion as (
    select brand, action_id, min(snapshot_date) as completed_on
    from dedup
    where status = '已完成'
    group by brand, action_id
),
first_snapshot_after_due as (
    select d.brand, d.action_id, min(s.snapshot_date) as due_snapshot
    from (select distinct brand, action_id, due_date from dedup) as d
    join (select distinct brand, snapshot_date from dedup) as s
        on s.brand = d.brand and s.snapshot_date >= d.due_date
    group by d.brand, d.action_id
),
joined as (
    select
        d.*,
        case when c.completed_on <= d.snapshot_date then c.completed_on end as completed_on_asof,
        f.due_snapshot
    from dedup as d
    left join completion as c on c.brand = d.brand and c.action_id = d.action_id
    left join first_snapshot_after_due as f on f.brand = d.brand and f.action_id = d.action_id
)
select
    cast(snapshot_date as date)                                   as snapshot_date,
    cast(brand as {{ type_varchar() }})                                        as brand,
    cast(action_id as {{ type_varchar() }})                                    as action_id,
    cast(horizon as {{ type_varchar() }})                                      as horizon,
    cast(plan_start as date)                                      as plan_start,
    cast(action as {{ type_varchar() }})                                       as action,
    cast(owner_id as {{ type_varchar() }})                                     as owner_id,
    cast(store_type as {{ type_varchar() }})                                   as store_type,
    cast(due_date as date)                                        as due_date,
    cast(status as {{ type_varchar() }})                                       as status,
    cast(case status
        when '未开始' then 'not_started' when '进行中' then 'in_progress' when '已完成' then 'done'
        when '已延期' then 'delayed' when '已取消' then 'cancelled' end as {{ type_varchar() }})  as status_code,
    cast(completed_on_asof as date)                               as completed_on,
    cast(case
        when status = '已取消' then null
        when completed_on_asof is not null
            then completed_on_asof <= coalesce(due_snapshot, completed_on_asof)
        when snapshot_date > due_date then false
    end as boolean)                                               as on_time,
    cast(case
        when status = '已取消' then 0
        when completed_on_asof is not null and completed_on_asof <= coalesce(due_snapshot, completed_on_asof) then 0
        when completed_on_asof is not null then greatest({{ day_diff('due_date', 'completed_on_asof') }}, 0)
        when snapshot_date > due_date then {{ day_diff('due_date', 'snapshot_date') }}
        else 0
    end as integer)                                               as overdue_days,
    cast(metric as {{ type_varchar() }})                                       as metric,
    cast(target as decimal(18,4))                                 as target,
    cast(current as decimal(18,4))                                as current,
    cast({{ safe_ratio('current', 'target') }} as double)         as progress_pct,
    cast(snapshot_date = max(snapshot_date) over (partition by brand) as boolean) as is_latest_snapshot,
    cast(snapshot_date = max(snapshot_date) over (partition by brand, action_id) as boolean) as is_action_latest
from joined
