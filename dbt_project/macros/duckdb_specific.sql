{#- The few places where SQL differs by adapter. Each has a default__ (ANSI-ish) and a duckdb__ version,
    and a spark__ twin where Spark SQL differs (the `spark` target, profiles.yml). The duckdb__ and
    default__ versions render exactly the SQL the models had before (DuckDB's compiled SQL is unchanged). -#}

{#- Exact integer division (floor). -#}
{% macro int_div(a, b) -%}
    {{ return(adapter.dispatch('int_div')(a, b)) }}
{%- endmacro %}
{% macro default__int_div(a, b) -%}
    floor(cast({{ a }} as numeric(38,0)) / ({{ b }}))
{%- endmacro %}
{% macro duckdb__int_div(a, b) -%}
    (cast({{ a }} as bigint) // cast({{ b }} as bigint))
{%- endmacro %}
{#- `div` truncates like DuckDB's `//` on bigints (Spark has no `//`; numeric is not a Spark type). -#}
{% macro spark__int_div(a, b) -%}
    (cast({{ a }} as bigint) div cast({{ b }} as bigint))
{%- endmacro %}

{#- date → 'YYYY-MM'. -#}
{% macro format_month(col) -%}
    {{ return(adapter.dispatch('format_month')(col)) }}
{%- endmacro %}
{% macro default__format_month(col) -%}
    to_char({{ col }}, 'YYYY-MM')
{%- endmacro %}
{% macro duckdb__format_month(col) -%}
    strftime({{ col }}, '%Y-%m')
{%- endmacro %}
{% macro spark__format_month(col) -%}
    date_format({{ col }}, 'yyyy-MM')
{%- endmacro %}

{#- Day of the week, 0 = Sunday … 6 = Saturday. Spark's EXTRACT(DOW) counts 1 = Sunday … 7. -#}
{% macro day_of_week(col) -%}
    {{ return(adapter.dispatch('day_of_week')(col)) }}
{%- endmacro %}
{% macro default__day_of_week(col) -%}
    extract(dow from {{ col }})
{%- endmacro %}
{% macro spark__day_of_week(col) -%}
    (extract(dow from {{ col }}) - 1)
{%- endmacro %}

{#- The text type of casts. Spark accepts VARCHAR only with a length (and then pads/checks it);
    its unbounded text type is STRING. -#}
{% macro type_varchar() -%}
    {{ return(adapter.dispatch('type_varchar')()) }}
{%- endmacro %}
{% macro default__type_varchar() -%}
    varchar
{%- endmacro %}
{% macro spark__type_varchar() -%}
    string
{%- endmacro %}

{#- The 8-byte float type of casts: Spark has no `double precision`. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}
{% macro default__type_double() -%}
    double precision
{%- endmacro %}
{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#- Days from a to b (b − a). -#}
{% macro day_diff(a, b) -%}
    {{ return(adapter.dispatch('day_diff')(a, b)) }}
{%- endmacro %}
{% macro default__day_diff(a, b) -%}
    date_diff('day', {{ a }}, {{ b }})
{%- endmacro %}
{% macro spark__day_diff(a, b) -%}
    datediff({{ b }}, {{ a }})
{%- endmacro %}

{#-
  QUALIFY (filter on a window function) around the select in the call block:
      {% call qualify_rows("row_number() over (...) = 1") -%} select ... from ... {% endcall %}
  DuckDB appends `qualify <predicate>`. Spark has no QUALIFY: the predicate becomes a column of the
  same select (so it sees the same FROM, also columns not selected), filtered one level up and
  dropped. The block must start with `select`.
-#}
{% macro qualify_rows(predicate) -%}
    {{ return(adapter.dispatch('qualify_rows')(predicate, caller())) }}
{%- endmacro %}
{% macro default__qualify_rows(predicate, sql) -%}
    {{ sql }}qualify {{ predicate }}
{%- endmacro %}
{% macro spark__qualify_rows(predicate, sql) -%}
    {%- set body = sql | trim -%}
    {%- if not body.lower().startswith('select') -%}
        {{ exceptions.raise_compiler_error('qualify_rows: the block must start with select') }}
    {%- endif -%}
    select * except (qualify_keep) from (
        select ({{ predicate }}) as qualify_keep, {{ body[6:] }}
    ) as qualified
    where qualify_keep
{%- endmacro %}

{#-
  `select * replace (<expr> as <column>, ...)` over the call block's expressions; `columns` names
  the replaced columns. Spark has no REPLACE: `* except (columns)` then the expressions (the replaced
  columns move to the end, so the caller selects by name).
-#}
{% macro select_star_replace(columns) -%}
    {{ return(adapter.dispatch('select_star_replace')(columns, caller())) }}
{%- endmacro %}
{% macro default__select_star_replace(columns, exprs) -%}
    select * replace ({{ exprs }})
{%- endmacro %}
{% macro spark__select_star_replace(columns, exprs) -%}
    select * except ({{ columns | join(', ') }}),{{ exprs }}
{%- endmacro %}

