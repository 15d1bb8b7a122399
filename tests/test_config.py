"""``[tool.notifier]``: defaults, and every invalid key reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifier.config import load_settings, settings_from_table
from notifier.errors import ConfigError


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.policy_dir == "policy"
    assert settings.notice_period_days == 30
    assert settings.policy_path == tmp_path / "policy"


def test_repository_config_is_valid() -> None:
    settings = load_settings(Path(__file__).resolve().parent.parent)
    assert settings.sender.email == "privacy@craftaiplatform.com"


def test_all_problems_at_once(tmp_path: Path) -> None:
    table = {
        "policy_dir": "../elsewhere",
        "notice_period_day": 30,
        "notice_period_days": "thirty",
        "site_url": "ftp://x",
        "sender": {"email": "nobody", "nme": "x"},
    }
    with pytest.raises(ConfigError) as caught:
        settings_from_table(tmp_path, table, where="pyproject.toml")
    problems = caught.value.problems
    text = " | ".join(problems)
    assert "'policy_dir' must be a relative path inside the repository" in text
    assert "unknown key 'notice_period_day' (did you mean 'notice_period_days'?)" in text
    assert "'notice_period_days' must be int, not str" in text
    assert "'site_url' must start with https://" in text
    assert "'sender.email' must be an e-mail address" in text
    assert "unknown key 'sender.nme' (did you mean 'sender.name'?)" in text
    assert len(problems) == 6


def test_boolean_is_not_a_number(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="notice_period_days"):
        settings_from_table(tmp_path, {"notice_period_days": True}, where="x")


def test_invalid_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.notifier\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(tmp_path)
