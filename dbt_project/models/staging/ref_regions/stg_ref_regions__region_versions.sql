-- Every delivery of the brand's region master. 类型 mapped to a code (省份 → province, 配送中心 → dc);
-- a province given by its short name (广东) is matched to the full name the POP staging uses (广东省)
-- through seed province_region, so both spellings map the same orders.
with src as (
    select * from {{ source('raw', 'ref_regions') }}
),
provinces as (
    select province as lookup_name, province from {{ ref('province_region') }}
    union all
    select province_short, province from {{ ref('province_region') }}
)
select
    src._load_id                     as load_id,
    src._brand                       as brand,
    cast(src._period as date)        as delivered_on,
    src._row_number                  as row_number,
    src.kind                         as kind_raw,
    case src.kind when '省份' then 'province' when '配送中心' then 'dc' end as kind,
    src.name                         as name_raw,
    case when src.kind = '省份' then coalesce(p.province, src.name) else src.name end as name,
    src.region
from src
left join provinces as p
    on src.kind = '省份' and src.name = p.lookup_name
