"""Load and validate the alert rules (`rules.yaml`, or `JD_ALERT_RULES` pointing at another file)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "rules.yaml"
RULE_KINDS = (
    "gmv_pace",
    "ads_roi_drop",
    "days_of_cover",
    "po_past_eta",
    "action_overdue",
    "source_late",
    "check_failed",
)
SEVERITIES = ("warning", "critical")


class AlertConfigError(ValueError):
    """The rules file is malformed (names the file and the key)."""


@dataclass(frozen=True)
class RulesConfig:
    path: Path
    version: int
    defaults: dict[str, dict[str, Any]]
    brands: dict[str, dict[str, dict[str, Any]]]

    def for_brand(self, rule: str, brand: str | None) -> dict[str, Any]:
        """The rule's settings for one brand: defaults overridden by the brand's keys."""
        merged = dict(self.defaults[rule])
        if brand is not None:
            merged.update(self.brands.get(brand, {}).get(rule, {}))
        return merged

    def enabled(self, rule: str, brand: str | None = None) -> bool:
        return bool(self.for_brand(rule, brand).get("enabled", True))


def rules_path() -> Path:
    return Path(os.environ.get("JD_ALERT_RULES") or DEFAULT_RULES_PATH)


def _check_rule_block(path: Path, where: str, rule: str, block: object, defaults: dict | None) -> None:
    if rule not in RULE_KINDS:
        raise AlertConfigError(f"{path}: {where}: unknown rule {rule!r} (known: {', '.join(RULE_KINDS)})")
    if not isinstance(block, dict):
        raise AlertConfigError(f"{path}: {where}.{rule} must be a mapping")
    if defaults is not None:
        unknown = set(block) - set(defaults)
        if unknown:
            raise AlertConfigError(f"{path}: {where}.{rule}: unknown setting(s) {sorted(unknown)}")
    severity = block.get("severity")
    if severity is not None and severity not in SEVERITIES:
        raise AlertConfigError(f"{path}: {where}.{rule}.severity must be one of {SEVERITIES}")


def load_rules(path: Path | None = None) -> RulesConfig:
    path = path or rules_path()
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AlertConfigError(f"{path}: cannot read the alert rules: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("defaults"), dict):
        raise AlertConfigError(f"{path}: needs a `defaults` mapping")
    defaults = data["defaults"]
    missing = [k for k in RULE_KINDS if k not in defaults]
    if missing:
        raise AlertConfigError(f"{path}: defaults lack rule(s) {missing}")
    for rule, block in defaults.items():
        _check_rule_block(path, "defaults", rule, block, None)
    brands = data.get("brands") or {}
    if not isinstance(brands, dict):
        raise AlertConfigError(f"{path}: `brands` must be a mapping")
    for brand, rules in brands.items():
        if not isinstance(rules, dict):
            raise AlertConfigError(f"{path}: brands.{brand} must be a mapping of rules")
        for rule, block in rules.items():
            _check_rule_block(path, f"brands.{brand}", rule, block, defaults.get(rule))
    return RulesConfig(path=path, version=int(data.get("version", 1)), defaults=defaults, brands=brands)
