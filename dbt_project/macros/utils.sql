{#- Shared helpers. Portable SQL only; DuckDB-only SQL lives in duckdb_specific.sql. -#}

{% macro money(expr) -%}
    cast(round({{ expr }}, 2) as decimal(18,2))
{%- endmacro %}

{% macro safe_ratio(numerator, denominator) -%}
    case when {{ denominator }} is null or {{ denominator }} = 0 then null
         else cast({{ numerator }} as {{ type_double() }}) / cast({{ denominator }} as {{ type_double() }}) end
{%- endmacro %}

{#- `(删除)` prefix on POP statuses: the merchant hid the order; the status after it stands. -#}
{% macro strip_deleted_prefix(col) -%}
    trim({{ dbt.replace(dbt.replace(col, "'(删除)'", "''"), "'（删除）'", "''") }})
{%- endmacro %}

{% macro has_deleted_prefix(col) -%}
    coalesce({{ col }} like '(删除)%' or {{ col }} like '（删除）%', false)
{%- endmacro %}

{#- 'YYYY-MM' text → first day of the month. -#}
{% macro month_to_date(col) -%}
    cast({{ dbt.concat([col, "'-01'"]) }} as date)
{%- endmacro %}

{#- date → 'YYYY-MM' text. -#}
{% macro date_to_month(col) -%}
    {{ format_month(col) }}
{%- endmacro %}

{#- ANSI EXTRACT (dow: 0 = Sunday … 6 = Saturday on DuckDB/Postgres; day_of_week for Spark's). -#}
{% macro date_part(part, col) -%}
    {%- if part == 'dow' -%}
        {{ day_of_week(col) }}
    {%- else -%}
        extract({{ part }} from {{ col }})
    {%- endif -%}
{%- endmacro %}
