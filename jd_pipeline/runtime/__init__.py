"""Running the pipeline: the Dagster instance and its event log, run windows and catch-up,
held assets, the nightly automation, status, the dev server and the weekly verify.

Plain Python used by the Dagster definitions, the CLI and the tests (named `runtime` rather than
`ops` so it clashes neither with Dagster ops nor with the warehouse's `ops` schema).
"""
