"""tests/spark needs Java 17 and the `spark` extra (pyspark, dbt-spark): `make test-spark` installs
both. Without them every test here FAILS with what is missing (never skips): a CI without Spark
must not pass the proof of equality by running nothing."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess

import pytest


def missing_requirements() -> list[str]:
    missing = []
    java = shutil.which("java")
    if java is None:
        missing.append("java (Debian openjdk-17-jre-headless: `make system-deps`)")
    else:
        version = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
        if version.returncode != 0:
            missing.append(f"a working java ({java} -version failed: {version.stderr.strip()[:200]})")
    for module, package in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark[session]")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(f"{package} (the `spark` extra: `make spark-install`)")
    return missing


@pytest.fixture(scope="session", autouse=True)
def spark_requirements() -> None:
    missing = missing_requirements()
    if missing:
        pytest.fail("tests/spark cannot run, missing: " + "; ".join(missing), pytrace=False)
