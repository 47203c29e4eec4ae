{#-
  The Spark target (profiles.yml `spark`, `spark_cluster`): where the sources come from and how the
  column types of the contracts read there. Nothing here renders anything on DuckDB.
-#}

{#-
  on-run-start: make every source a table over the raw Parquet lake (docs: the raw lake interface,
  JD_RAW_LAKE_URL), so the models read `raw.<table>` on Spark as they read the loader's tables on
  DuckDB. Each table is ALL Parquet files under its folder, recursively, without hive partition
  inference (brand, store and period are already columns; files named `_…`/`.…` are skipped by
  Spark, they are the writer's temporary objects):
    source `raw`       <lake>/<table>
    any other source   <lake>/<source>/<table>   (config.brands, ...: written with the config tables)
    ops.file_totals    <lake>/ops/file_totals    (not a source: a dbt test finds it with get_relation)
  The layout is docs/raw_lake.md's. REFRESH TABLE drops Spark's cached file listing, so a batch
  committed since the last run is read. The forecast source (a Python asset's output, not part of
  the lake) is left to fct_rolling_plan_3m's own check (empty while the table does not exist).
-#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources')()) }}
{%- endmacro %}

{#- DuckDB: the sources are tables of the warehouse file itself. -#}
{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('JD_RAW_LAKE_URL', '') | trim -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error('JD_RAW_LAKE_URL is not set: the Spark target reads its sources from the raw Parquet lake') }}
        {%- endif -%}
        {%- set lake = lake.rstrip('/') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() if source.source_name != 'forecast' -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create schema if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- if source.source_name == 'raw' -%}
                {%- set path = lake ~ '/' ~ source.identifier -%}
            {%- else -%}
                {%- set path = lake ~ '/' ~ source.source_name ~ '/' ~ source.identifier -%}
            {%- endif -%}
            {%- do register_lake_table(source.schema ~ '.' ~ source.identifier, path) -%}
        {%- endfor -%}
        {%- do run_query('create schema if not exists ops') -%}
        {%- do register_lake_table('ops.file_totals', lake ~ '/ops/file_totals') -%}
    {%- endif -%}
{%- endmacro %}

{% macro register_lake_table(table, path) -%}
    {%- do run_query("create table if not exists " ~ table ~ " using parquet options (path '"
                     ~ path ~ "', recursiveFileLookup 'true')") -%}
    {%- do run_query('refresh table ' ~ table) -%}
{%- endmacro %}

{#-
  Contracts on Spark: dbt checks a contract by casting NULL to each yml data_type on the engine and
  comparing the column types. The ymls use DuckDB's names; Spark has no bare `varchar` (only with a
  length) and no `double precision`, so those are read as Spark's `string` and `double`, the types
  the models produce there (type_varchar, type_double). Every other type name is the same.
  Spark does not enforce the not_null constraints on Parquet tables (dbt says so in a warning).
-#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type(type) }})
{%- endmacro %}

{#- The seeds' column_types (seeds/_seeds.yml) use the same DuckDB names: translated for Spark's
    seed loader, which writes them into CREATE TABLE and the row casts as they are. -#}
{% macro spark_type(type) -%}
    {%- set spark_types = {'varchar': 'string', 'double precision': 'double'} -%}
    {{ return(spark_types.get(type | lower | trim, type)) }}
{%- endmacro %}

{% macro spark_seed_column_types(model) -%}
    {%- set column_types = model['config'].get('column_types') or {} -%}
    {%- for name, type in column_types.items() -%}
        {%- do column_types.update({name: spark_type(type)}) -%}
    {%- endfor -%}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) -%}
    {%- do spark_seed_column_types(model) -%}
    {#- dbt-spark's own loader (internal macros are reached through the `dbt` namespace) -#}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- do spark_seed_column_types(model) -%}
    {{ return(dbt.spark__load_csv_rows(model, agate_table)) }}
{%- endmacro %}

{#- dbt-spark adds the contracts' not_null constraints (ALTER COLUMN SET NOT NULL) whenever
    file_format is unset, taking Delta as the default; the tables here are plain Parquet (Spark's
    default data source), which cannot hold constraints, so only an explicit Delta table gets them. -#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- if config.get('contract').enforced and config.get('file_format') == 'delta' -%}
        {%- do alter_table_add_constraints(relation, model.constraints) -%}
        {%- do alter_column_set_constraints(relation, model.columns) -%}
    {%- endif -%}
{%- endmacro %}
