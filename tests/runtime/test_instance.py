"""The instance's dagster.yaml names where its event log lives; without that, a clear error."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from jd_pipeline.runtime.event_storage import BatchedSqliteEventLogStorage, MissingEventLogDirectory
from jd_pipeline.runtime.instance import TEMPLATE, write_instance_config


def test_event_log_lives_in_the_instance_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("DAGSTER_HOME", str(elsewhere))  # another instance's directory must not matter
    home = tmp_path / "dagster_home"
    write_instance_config(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, BatchedSqliteEventLogStorage)
        assert Path(storage._base_dir).resolve() == (home / "history" / "runs").resolve()
        assert not elsewhere.exists()


def test_config_without_event_log_directory_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = tmp_path / "dagster_home"
    home.mkdir()
    old_copy = TEMPLATE.read_text().replace("  config:\n    base_dir: ${event_log_dir}\n", "")
    assert "base_dir" not in old_copy.split("event_log_storage:")[1].split("\n\n")[0]
    (home / "dagster.yaml").write_text(old_copy)
    with pytest.raises(MissingEventLogDirectory, match="DAGSTER_HOME is not set"):
        dg.DagsterInstance.from_config(str(home)).event_log_storage  # noqa: B018


def test_instance_made_before_the_runtime_package_follows_the_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jd_pipeline.config import get_settings
    from jd_pipeline.runtime.instance import prepare_dagster_home

    monkeypatch.setenv("JD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = get_settings()
    config = write_instance_config(settings.dagster_home)
    config.write_text(
        config.read_text().replace(
            "module: jd_pipeline.runtime.event_storage", "module: jd_pipeline.ops.event_storage"
        )
    )
    prepare_dagster_home(settings)
    assert "jd_pipeline.ops." not in config.read_text()
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage)
