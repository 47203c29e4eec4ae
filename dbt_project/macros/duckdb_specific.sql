{#- The few places where SQL differs by adapter. Each has a default__ (ANSI-ish) and a duckdb__ version. -#}

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

