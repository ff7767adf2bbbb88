from __future__ import annotations

import pytest

from upstate.lib.env import ConfigError, env_bool, env_float, env_int, env_str


def test_env_bool_accepts_only_true_and_false(monkeypatch):
    monkeypatch.setenv("X_FLAG", "True")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "False")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "yes")
    with pytest.raises(ConfigError, match="X_FLAG"):
        env_bool("X_FLAG")


def test_env_int_names_the_variable(monkeypatch):
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ConfigError, match="X_NUM"):
        env_int("X_NUM", 1)


def test_env_float_reads_a_number_and_names_a_bad_one(monkeypatch):
    monkeypatch.setenv("X_SECONDS", "0.5")
    assert env_float("X_SECONDS", 1.0) == 0.5
    monkeypatch.setenv("X_SECONDS", "soon")
    with pytest.raises(ConfigError, match="X_SECONDS must be a number"):
        env_float("X_SECONDS", 1.0)


def test_file_variant_wins(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv("X_SECRET", "from-env")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "from-file"
