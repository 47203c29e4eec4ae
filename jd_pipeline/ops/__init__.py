"""Operations: publishing the served warehouse, run status, the local Dagster dev server.

Plain Python (no Dagster imports at module level) so the CLI and tests can use it directly.
"""
