"""The deployment configuration, checked without a cluster: the executor choice, the instance yaml
(SQLite by default, PostgreSQL for production) against Dagster's own instance schema, the Kubernetes
run config against the jobs' config schema, the Dockerfile, and the Helm values against the project
(module, pool, data volume, secrets by name only) and, when the chart is at hand, its values schema.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import dagster as dg
import pytest
import yaml

from jd_pipeline.config import ConfigError
from jd_pipeline.defs.executor import build_executor, executor_kind, max_concurrent
from jd_pipeline.defs.resources import WAREHOUSE_POOL
from jd_pipeline.runtime.instance import (
    POSTGRES_ENV,
    POSTGRES_STORAGE,
    instance_config_text,
    write_instance_config,
)

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
VALUES = DEPLOY / "helm" / "values.yaml"
RUN_CONFIG = DEPLOY / "k8s_run_config.yaml"
DAGSTER_VERSION = dg.__version__


# ------------------------------------------------------------------------------------------ executor
@pytest.mark.parametrize(
    ("setting", "name"),
    [
        (None, "multiprocess_executor"),
        ("multiprocess", "multiprocess_executor"),
        ("in_process", "in_process"),
        ("in-process", "in_process"),
        ("k8s", "k8s"),
    ],
)
def test_executor_follows_jd_executor(monkeypatch, setting, name) -> None:
    if setting is None:
        monkeypatch.delenv("JD_EXECUTOR", raising=False)
    else:
        monkeypatch.setenv("JD_EXECUTOR", setting)
    assert build_executor().name == name


def test_multiprocess_executor_is_bounded(monkeypatch) -> None:
    monkeypatch.delenv("JD_MAX_CONCURRENT", raising=False)
    assert max_concurrent() == 2
    monkeypatch.setenv("JD_MAX_CONCURRENT", "3")
    assert max_concurrent() == 3
    job = dg.Definitions(
        assets=[dg.asset(lambda: None, name="a")], executor=build_executor("multiprocess")
    ).resolve_implicit_global_asset_job_def()
    assert job.executor_def.name == "multiprocess_executor"
    for bad in ("0", "two"):
        monkeypatch.setenv("JD_MAX_CONCURRENT", bad)
        with pytest.raises(ConfigError, match="JD_MAX_CONCURRENT"):
            max_concurrent()


def test_unknown_executor_is_a_config_error(monkeypatch) -> None:
    monkeypatch.setenv("JD_EXECUTOR", "celery")
    with pytest.raises(ConfigError, match="JD_EXECUTOR"):
        executor_kind()


def test_every_job_of_the_code_location_uses_the_chosen_executor() -> None:
    from jd_pipeline.definitions import build_definitions

    defs = build_definitions(executor=build_executor("k8s"))
    for job in defs.resolve_all_job_defs():
        assert job.executor_def.name == "k8s", job.name


# ------------------------------------------------------------------------------------------ instance
def test_default_instance_is_local_sqlite_with_the_pool(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("JD_DAGSTER_STORAGE", raising=False)
    home = tmp_path / "dagster_home"
    write_instance_config(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.event_log_storage).__name__ == "BatchedSqliteEventLogStorage"
        instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 1)
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1


def _postgres_env(monkeypatch) -> dict[str, str]:
    values = {
        "DAGSTER_PG_HOST": "db.example.internal",
        "DAGSTER_PG_PORT": "6432",
        "DAGSTER_PG_USER": "dagster",
        "DAGSTER_PG_PASSWORD": "not-a-real-password-7f3a",
        "DAGSTER_PG_DB": "dagster",
    }
    assert set(values) == set(POSTGRES_ENV)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_postgres_instance_yaml_validates_against_dagsters_schema(tmp_path, monkeypatch) -> None:
    """Dagster's own instance loader (`dagster_instance_config`, what `DagsterInstance.from_config`
    runs before it connects) accepts it, the connection read from the environment."""
    from dagster._core.instance.config import dagster_instance_config

    env = _postgres_env(monkeypatch)
    monkeypatch.setenv("JD_DAGSTER_STORAGE", "postgres")
    home = tmp_path / "dagster_home"
    text = write_instance_config(home).read_text()
    for value in (env["DAGSTER_PG_PASSWORD"], env["DAGSTER_PG_HOST"]):
        assert value not in text  # nothing of the connection is written, the password least
    config, _ = dagster_instance_config(str(home))
    assert "event_log_storage" not in config and "run_storage" not in config
    db = config["storage"]["postgres"]["postgres_db"]
    assert {key: db[key] for key in ("hostname", "port", "username", "password", "db_name")} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "username": {"env": "DAGSTER_PG_USER"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "DAGSTER_PG_DB"},
    }
    # the rest of the project's instance settings are kept
    assert config["concurrency"]["pools"] == {"granularity": "op", "default_limit": 1}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    # what the storage class makes of it when the instance starts: the environment's values
    resolved = _storage_config(config)["postgres_db"]
    assert (resolved["hostname"], resolved["port"], resolved["password"]) == (
        env["DAGSTER_PG_HOST"],
        6432,
        env["DAGSTER_PG_PASSWORD"],
    )
    # psycopg2: SQLAlchemy 2.1 maps a bare `postgresql` URL to psycopg 3, which dagster-postgres's
    # `NOTIFY run_events, %(id)s` fails on (tests/deploy/test_instance_postgres.py runs it)
    assert db["scheme"] == "postgresql+psycopg2"


def _storage_config(config: dict) -> dict:
    from dagster._config import process_config
    from dagster_postgres import DagsterPostgresStorage

    result = process_config(DagsterPostgresStorage.config_type(), config["storage"]["postgres"])
    if not result.success:
        raise dg.DagsterInvalidConfigError("postgres storage", result.errors, config)
    return result.value


def test_postgres_instance_yaml_needs_its_environment(tmp_path, monkeypatch) -> None:
    from dagster._core.instance.config import dagster_instance_config

    _postgres_env(monkeypatch)
    monkeypatch.delenv("DAGSTER_PG_HOST")
    home = tmp_path / "dagster_home"
    write_instance_config(home, storage="postgres")
    config, _ = dagster_instance_config(str(home))
    with pytest.raises(dg.DagsterInvalidConfigError, match="DAGSTER_PG_HOST"):
        _storage_config(config)


def test_unknown_storage_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="JD_DAGSTER_STORAGE"):
        instance_config_text(tmp_path, "mysql")


# ---------------------------------------------------------------------------------------- run config
@pytest.fixture(scope="module")
def k8s_defs() -> dg.Definitions:
    from jd_pipeline.definitions import build_definitions

    return build_definitions(executor=build_executor("k8s"))


@pytest.mark.parametrize("job_name", ["ingest_daily_job", "warehouse_daily_job", "warehouse_monthly_job"])
def test_k8s_run_config_validates_against_the_job(k8s_defs, job_name) -> None:
    run_config = yaml.safe_load(RUN_CONFIG.read_text())
    job = k8s_defs.resolve_job_def(job_name)
    validated = dg.validate_run_config(job, run_config)["execution"]["k8s"]
    assert validated["max_concurrent"] == 4 and validated["enable_owner_references"] is True
    # a step named in per_step_k8s_config is a step of the warehouse jobs
    if job_name == "warehouse_daily_job":
        assert set(run_config["execution"]["config"]["per_step_k8s_config"]) <= {
            node.name for node in job.graph.node_defs
        }


def test_k8s_run_config_validation_is_not_vacuous(k8s_defs) -> None:
    run_config = yaml.safe_load(RUN_CONFIG.read_text())
    run_config["execution"]["config"]["max_concurent"] = 4  # misspelt
    with pytest.raises(dg.DagsterInvalidConfigError, match="max_concurent"):
        dg.validate_run_config(k8s_defs.resolve_job_def("ingest_daily_job"), run_config)


# ---------------------------------------------------------------------------------------- Dockerfile
def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_base_image_is_pinned_and_python_matches() -> None:
    froms = [args for word, args in _instructions() if word == "FROM"]
    assert len(froms) == 1
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim(?:-\w+)?", froms[0])
    assert match, froms[0]
    import tomllib

    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f">={match[1]}.{match[2]}" in requires or int(match[2]) >= 11, requires


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [args for word, args in _instructions() if word == "USER"]
    assert users, "no USER: the image would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    uid = users[-1].split(":")[0]
    created = " ".join(args for word, args in _instructions() if word == "RUN")
    assert f"--uid {uid}" in created or f"useradd {uid}" in created


def test_dockerfile_installs_the_pinned_package_with_the_deploy_extra() -> None:
    import tomllib

    runs = [args for word, args in _instructions() if word == "RUN"]
    assert any("pip install" in r and "'.[deploy]'" in r for r in runs), runs
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deploy = project["optional-dependencies"]["deploy"]
    pins = dict(re.fullmatch(r"([\w-]+)==([\w.]+)", p).groups() for p in deploy)
    assert pins == {"dagster-postgres": "0.29.27", "dagster-k8s": "0.29.27"}
    assert f"dagster=={DAGSTER_VERSION}" in project["dependencies"]
    # the libraries' 0.29.x line goes with dagster 1.13.x (same patch number)
    assert DAGSTER_VERSION.split(".")[2] == pins["dagster-k8s"].split(".")[2]


def test_dockerfile_copies_what_exists_and_prepares_the_dbt_manifest() -> None:
    instructions = _instructions()
    for word, args in instructions:
        if word == "COPY":
            *sources, _target = shlex.split(args)
            for source in sources:
                assert (REPO / source).exists(), source
    runs = " ".join(args for word, args in instructions if word == "RUN")
    assert "prepare_dbt_manifest()" in runs and "manifest.json" in runs
    env = " ".join(args for word, args in instructions if word == "ENV")
    data_dir = re.search(r"JD_DATA_DIR=(\S+)", env)[1]
    volumes = [json.loads(args) for word, args in instructions if word == "VOLUME"]
    assert [data_dir] in volumes


def test_dockerfile_entrypoint_is_the_code_location() -> None:
    cmd = [json.loads(args) for word, args in _instructions() if word == "CMD"][-1]
    assert cmd[:3] == ["dagster", "api", "grpc"]
    module = cmd[cmd.index("--module-name") + 1]
    assert (REPO / (module.replace(".", "/") + ".py")).is_file()
    assert module == "jd_pipeline.definitions"
    exposed = [args for word, args in _instructions() if word == "EXPOSE"]
    assert exposed == [cmd[cmd.index("--port") + 1]]


# ---------------------------------------------------------------------------------------- Helm values
@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def _env(deployment: dict) -> dict[str, str]:
    return {item["name"]: item["value"] for item in deployment["env"]}


def test_helm_user_deployment_runs_this_image_and_module(values) -> None:
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    cmd = [json.loads(args) for word, args in _instructions() if word == "CMD"][-1]
    args = deployment["dagsterApiGrpcArgs"]
    assert args[args.index("--module-name") + 1] == cmd[cmd.index("--module-name") + 1]
    assert str(deployment["port"]) == cmd[cmd.index("--port") + 1]
    env = _env(deployment)
    assert env["JD_EXECUTOR"] == "k8s" and int(env["JD_MAX_CONCURRENT"]) >= 1
    dockerfile_env = " ".join(a for w, a in _instructions() if w == "ENV")
    assert env["JD_DATA_DIR"] == re.search(r"JD_DATA_DIR=(\S+)", dockerfile_env)[1]
    assert {m["mountPath"] for m in deployment["volumeMounts"]} == {env["JD_DATA_DIR"]}
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True  # run and step pods too
    uid = [a for w, a in _instructions() if w == "USER"][-1]
    assert str(deployment["podSecurityContext"]["runAsUser"]) == uid


def test_helm_runs_on_kubernetes_with_external_postgres(values) -> None:
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    postgres = values["postgresql"]
    assert postgres["enabled"] is False and postgres["postgresqlHost"]
    project = yaml.safe_load(POSTGRES_STORAGE.read_text())["storage"]["postgres"]["postgres_db"]
    assert postgres["postgresqlScheme"] == project["scheme"] == "postgresql+psycopg2"
    assert values["generatePostgresqlPasswordSecret"] is False and values["global"]["postgresqlSecretName"]


def test_helm_pool_and_run_limits_match_the_project_instance(values) -> None:
    project = yaml.safe_load(instance_config_text(Path("/nonexistent")))
    pools = values["concurrency"]["pools"]
    assert values["concurrency"]["enabled"] is True
    assert pools == {"granularity": "op", "defaultLimit": 1}
    assert project["concurrency"]["pools"] == {"granularity": "op", "default_limit": 1}
    assert (
        values["concurrency"]["runs"]["tagConcurrencyLimits"]
        == project["concurrency"]["runs"]["tag_concurrency_limits"]
    )


SECRET_WORDS = re.compile(r"password|secret|salt|token|key$", re.IGNORECASE)


def _secret_like(node, path=()) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, str(key))
            named = str(key).endswith(("SecretName", "secretName")) or key == "key"
            if isinstance(value, str) and value and SECRET_WORDS.search(str(key)) and not named:
                found.append(".".join(here))
            found += _secret_like(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _secret_like(value, (*path, str(i)))
    return found


def test_helm_values_hold_no_secret_value(values) -> None:
    assert _secret_like(values) == []
    text = VALUES.read_text()
    assert "JD_BUYER_SALT" in text  # named (which Secret holds it), never given
    assert not re.search(r"JD_BUYER_SALT\s*[:=]\s*\S", text)
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert "JD_BUYER_SALT" not in _env(deployment)
    assert [s["name"] for s in deployment["envSecrets"]] == ["jd-pipeline-env"]


def _chart_dir() -> Path | None:
    """The dagster chart of the pinned version, pulled by `helm pull` (deploy/README.md)."""
    candidates = [os.environ.get("JD_DAGSTER_CHART_DIR"), str(DEPLOY / "helm" / "chart" / "dagster")]
    for candidate in filter(None, candidates):
        if (Path(candidate) / "values.schema.json").is_file():
            return Path(candidate)
    return None


def _merged(base, override):
    if isinstance(base, dict) and isinstance(override, dict):
        return {
            key: _merged(base.get(key), override[key]) if key in base else override[key] for key in override
        } | {key: value for key, value in base.items() if key not in override}
    return override


@pytest.mark.skipif(
    _chart_dir() is None,
    reason="the dagster chart is not here: `helm pull dagster/dagster --version "
    f"{DAGSTER_VERSION} --untar -d deploy/helm/chart` (or set JD_DAGSTER_CHART_DIR)",
)
def test_helm_values_validate_against_the_charts_schema(values) -> None:
    """As `helm install` does: the chart's defaults overlaid with ours, against values.schema.json
    (its Kubernetes `$ref`s to kubernetesjsonschema.dev accept anything here: no network)."""
    import jsonschema

    chart = _chart_dir()
    assert chart is not None
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    assert meta["version"] == DAGSTER_VERSION, meta["version"]
    schema = json.loads((chart / "values.schema.json").read_text())
    merged = _merged(yaml.safe_load((chart / "values.yaml").read_text()), values)
    jsonschema.Draft7Validator(_local_refs_only(schema)).validate(merged)


def _local_refs_only(node):
    """The schema without its `$ref`s to other hosts (Kubernetes object schemas)."""
    if isinstance(node, dict):
        return {
            key: _local_refs_only(value)
            for key, value in node.items()
            if not (key == "$ref" and isinstance(value, str) and value.startswith("http"))
        }
    if isinstance(node, list):
        return [_local_refs_only(value) for value in node]
    return node
