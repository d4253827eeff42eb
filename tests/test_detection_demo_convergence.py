"""`rai-widget demo detection` ships maps that its own convergence check calls enough, and prints that verdict.

The check (rai_widget/explainers/_detection_checks.py) compares the maps of the two halves of D-RISE's masks.
At the demo's old 500 masks it said "Too few masks" for every detection (halves at r 0.43-0.67; maps of 500
masks correlate only 0.76-0.95 with an 8,000-mask reference), yet the demo printed nothing about it and its
report showed the warning unexplained. The first test runs the real demo through the CLI, as a user does
(about 40 s, slow tier); the second a 40-mask run (about 2 s).
"""

import inspect

import pytest

import rai_widget as rw
from rai_widget.cli import main
from rai_widget.demos import detection as demo

pytest.importorskip("torch")


@pytest.mark.slow  # the real demo: 6,000 detector calls per scene
def test_the_demo_s_maps_pass_its_own_convergence_check(tmp_path, capsys):
    assert main(["demo", "detection", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    exp = rw.load(tmp_path / "detection_explanation.npz")
    conv = exp.convergence
    default = inspect.signature(demo.run_demo).parameters["num_masks"].default
    assert exp.params["num_masks"] == conv["num_masks"] == default
    # every detection's two halves agree at the check's threshold or above, so the verdict says "enough"
    assert sum(len(d) for d in exp.detections) >= 8
    assert conv["enough"] is True, conv["verdict"]
    assert conv["lowest"] >= conv["threshold"] == 0.9
    assert all(r >= 0.9 for row in conv["agreement"] for r in row)
    # and the demo says so in the words the report and the dashboard use
    assert conv["verdict"] in printed and conv["verdict"].endswith(": enough.")
    assert "Too few masks" not in printed
    assert (tmp_path / demo.REPORT).exists()


def test_the_demo_explains_a_verdict_that_says_too_few(tmp_path):
    lines = []
    exp = demo.run_demo(tmp_path, echo=lines.append, num_masks=40)  # far too few, on purpose: quick
    text = "\n".join(lines)
    assert exp.convergence["enough"] is False
    assert exp.convergence["verdict"] in text
    # not a warning left unexplained: what it means for the maps, and what to do
    assert "num_masks" in text and "still change with the random masks" in text
