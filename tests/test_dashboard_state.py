"""The dashboard's state (cohorts, active cohort, selected rows) has one validation boundary, the trait
validators: the constructor, sets from Python and states sent by the view all pass it. A bad value from
Python is a ValueError naming the cohort; a bad state from the view is undone whole, sent back to the view
and reported with a RaiWidgetWarning, so kernel and view never disagree."""

import numpy as np
import pytest
from payload_cases import CASES

import rai_widget as rw
from rai_widget.cohorts import ALL_DATA

BY_NAME = {c.name: c for c in CASES}
C, F = rw.Cohort, rw.Filter


@pytest.fixture(scope="module")
def exp():
    return BY_NAME["text_classification"].build()  # 8 texts: index, y_true, y_pred, correct, confidence, ...


@pytest.fixture(scope="module")
def tab():
    return BY_NAME["tabular_mixed_binary"].build()


LONG = C("long", [F("length", ">", 3)])
WRONG = C("wrong", [F("correct", "==", False)])


def names(dash):
    return [c.name for c in dash.cohorts]


class Sent:
    """Records what the dashboard sends back to the view."""

    def __init__(self, dash, monkeypatch):
        self.keys: list[list[str]] = []
        monkeypatch.setattr(dash, "send_state", lambda key=None: self.keys.append(list(key or [])))


BAD_COHORTS = [
    ([LONG, C("long", [])], r"cohort names must be unique; \['long'\] is used more than once"),
    ([C("tall", [F("height", ">", 1)])], r"cohort 'tall' cannot be evaluated on this explanation: unknown column 'hei"),
    ([C("red", [F("y_pred", ">", 1)])], r"cohort 'red' cannot be evaluated.*'>' is not defined for categorical"),
    ([C("odd", [F("length", "==", "3")])], r"cohort 'odd' cannot be evaluated.*numeric: \"3\" is not a number"),
    ([C("w", [F("tokens", "==", "film")])], r"cohort 'w' cannot be evaluated.*contains or not contains"),
    ([C(ALL_DATA, [F("length", ">", 3)])], r"'All data' is every row and has no filters"),
    ([{"name": "j", "filters": [{"column": "nope", "op": "==", "value": 1}]}], r"cohort 'j' cannot be evaluated"),
    ([{"filters": []}], r"cohorts\[0\] is not a cohort: a cohort needs at least a name"),
    ([{"name": "x", "filters": {"column": "length", "op": ">", "value": 1}}], r"cohorts\[0\] is not a cohort.*list"),
    ([LONG, 3], r"cohorts\[1\] is not a cohort: a int, not an rw.Cohort"),
    ([LONG, "long"], r"cohorts\[1\] is not a cohort"),
    (LONG, r"cohorts must be a list of rw.Cohort .*not Cohort.*wrap it in a list"),
    ({"name": "x"}, r"cohorts must be a list"),
    ("long", r"cohorts must be a list"),
    (None, r"cohorts must be a list"),
]  # fmt: skip


@pytest.mark.parametrize("cohorts, message", BAD_COHORTS[:-1], ids=[m[:40] for _, m in BAD_COHORTS[:-1]])
def test_the_constructor_refuses_bad_cohorts(exp, cohorts, message):
    with pytest.raises(ValueError, match=message):
        rw.ExplanationDashboard(exp, cohorts=cohorts)


@pytest.mark.parametrize("cohorts, message", BAD_COHORTS, ids=[m[:40] for _, m in BAD_COHORTS])
def test_setting_bad_cohorts_from_python_is_refused_and_changes_nothing(exp, cohorts, message):
    dash = rw.ExplanationDashboard(exp, cohorts=[LONG, WRONG], active_cohort="wrong")
    before = [c.to_json() for c in dash.cohorts]
    with pytest.raises(ValueError, match=message):
        dash.cohorts = cohorts
    assert [c.to_json() for c in dash.cohorts] == before and dash.active_cohort == "wrong"


def test_all_data_is_always_there(exp):
    dash = rw.ExplanationDashboard(exp, cohorts=[LONG])
    assert names(dash) == [ALL_DATA, "long"]
    dash.cohorts = []
    assert names(dash) == [ALL_DATA] and dash.active_cohort == ALL_DATA
    dash.cohorts = [WRONG, C(ALL_DATA)]  # where the user puts it, it stays
    assert names(dash) == ["wrong", ALL_DATA]
    assert rw.ExplanationDashboard(exp, cohorts=[]).cohorts == [C(ALL_DATA)]


def test_removing_the_active_cohort_makes_all_data_active(exp):
    dash = rw.ExplanationDashboard(exp, cohorts=[LONG, WRONG])
    dash.active_cohort = "long"
    dash.cohorts = [WRONG]
    assert names(dash) == [ALL_DATA, "wrong"] and dash.active_cohort == ALL_DATA
    assert dash.cohort_rows().all()


def test_cohorts_from_python_as_json_and_copies(exp):
    dash = rw.ExplanationDashboard(exp, cohorts=[LONG.to_json()])
    assert isinstance(dash.cohorts[1], rw.Cohort) and dash.cohorts[1] == LONG
    mine = C("mine", [F("length", ">", 3)])
    dash.cohorts = [mine]
    mine.filters.append(F("nope", "==", 1))  # editing the caller's cohort afterwards cannot bypass the checks
    assert dash.cohort("mine").filters == [F("length", ">", 3)]
    assert dash.cohort("mine").mask(exp).tolist() == LONG.mask(exp).tolist()


@pytest.mark.parametrize(
    "value, message",
    [("nope", r"no cohort named 'nope'; cohorts: \['All data', 'long'\]"), (3, "no cohort named 3"),
     (None, "no cohort named None"), (["long"], r"no cohort named \['long'\]")],
)  # fmt: skip
def test_active_cohort_must_name_a_cohort(exp, value, message):
    dash = rw.ExplanationDashboard(exp, cohorts=[LONG])
    with pytest.raises(ValueError, match=message):
        dash.active_cohort = value
    assert dash.active_cohort == ALL_DATA
    with pytest.raises(ValueError, match=message):
        rw.ExplanationDashboard(exp, cohorts=[LONG], active_cohort=value)


@pytest.mark.parametrize(
    "rows, message",
    [([8], r"in \[0, 8\); got \[8\]"), ([-1, 2], r"got \[-1\]"), ([1.0], "integers"), (["1"], "integers"),
     ([True], "integers"), (3, "a list of row indices"), ("1", "a list of row indices")],
)  # fmt: skip
def test_selected_rows_must_be_row_indices(exp, rows, message):
    dash = rw.ExplanationDashboard(exp, selected_rows=[1])
    with pytest.raises(ValueError, match=message):
        dash.selected_rows = rows
    assert dash.selected_rows == [1]
    dash.selected_rows = [np.int64(2), 0]
    assert dash.selected_rows == [2, 0] and type(dash.selected_rows[0]) is int


def test_messages_show_plain_values(exp):
    dash = rw.ExplanationDashboard(exp)
    with pytest.raises(ValueError) as info:
        dash.selected_rows = [np.int64(9)]
    assert "np.int64" not in str(info.value) and "[9]" in str(info.value)


# --- what the view sends ------------------------------------------------------------------------------


def test_a_valid_state_from_the_view_is_taken_in_any_key_order(exp):
    dash = rw.ExplanationDashboard(exp, cohorts=[LONG])
    dash.set_state({"active_cohort": "wrong", "cohorts": [c.to_json() for c in dash.cohorts] + [WRONG.to_json()]})
    assert names(dash) == [ALL_DATA, "long", "wrong"] and dash.active_cohort == "wrong"
    assert all(isinstance(c, rw.Cohort) for c in dash.cohorts)
    # the view deletes the active cohort and picks another in one message
    dash.set_state({"cohorts": [dash.cohorts[0].to_json(), LONG.to_json()], "active_cohort": "long"})
    assert names(dash) == [ALL_DATA, "long"] and dash.active_cohort == "long"
    # ... or only deletes it: the kernel falls back to "All data" (and the view is told, as for any change)
    dash.set_state({"cohorts": [C(ALL_DATA).to_json()]})
    assert dash.active_cohort == ALL_DATA


@pytest.mark.parametrize(
    "state, message",
    [
        ({"cohorts": [LONG.to_json(), LONG.to_json()]}, "cohort names must be unique"),
        ({"cohorts": [{"name": "bad", "combine": "all", "filters": [{"column": "x", "op": ">", "value": 1}]}]},
         "cohort 'bad' cannot be evaluated"),
        ({"cohorts": [{"name": "n", "combine": "all", "filters": [{"column": "length", "op": ">", "value": None}]}]},
         "numeric: null is not a number"),
        ({"cohorts": [{"name": "no filters key", "combine": "nope"}]}, "combine must be"),
        ({"cohorts": {"name": "x"}}, "cohorts must be a list"),
        ({"active_cohort": "gone"}, "no cohort named 'gone'"),
        ({"active_cohort": "new", "cohorts": [{"name": "new", "combine": "all", "filters": [{"column": "x", "op": ">",
          "value": 1}]}]}, "cohort 'new' cannot be evaluated"),
        ({"cohorts": [LONG.to_json(), WRONG.to_json()], "active_cohort": "missing"}, "no cohort named 'missing'"),
        ({"selected_rows": [99]}, "selected_rows must be row indices in"),
        ({"selected_rows": [1], "active_cohort": "gone"}, "no cohort named 'gone'"),
    ],
)  # fmt: skip
def test_an_invalid_state_from_the_view_is_undone_whole_and_sent_back(exp, monkeypatch, state, message):
    dash = rw.ExplanationDashboard(exp, cohorts=[LONG, WRONG], active_cohort="long", selected_rows=[2])
    sent = Sent(dash, monkeypatch)
    before = ([c.to_json() for c in dash.cohorts], dash.active_cohort, dash.selected_rows)
    with pytest.warns(rw.RaiWidgetWarning, match="the dashboard's view sent a state the kernel cannot use.*" + message):
        dash.set_state(state)
    assert ([c.to_json() for c in dash.cohorts], dash.active_cohort, dash.selected_rows) == before
    assert all(isinstance(c, rw.Cohort) for c in dash.cohorts)
    assert sent.keys and set(sent.keys[-1]) >= set(state)  # the view gets the kernel's values back


def test_cohort_checks_are_the_tabular_ones_too(tab):
    with pytest.raises(ValueError, match="cohort 'c' cannot be evaluated.*column 'owner' is boolean"):
        rw.ExplanationDashboard(tab, cohorts=[C("c", [F("owner", "==", "yes")])])
    dash = rw.ExplanationDashboard(tab, cohorts=[C("older", [F("age", ">", 40)])])
    with pytest.raises(ValueError, match="unknown column 'agee'"):
        dash.cohorts = [C("older", [F("agee", ">", 40)])]
    assert dash.cohort("older").count(tab) == 4


def test_infinite_filter_values_work_in_the_dashboard_and_its_report(tab, tmp_path):
    cohorts = [C("all ages", [F("age", "<", float("inf"))]), C("none", [F("age", ">", 10**400)]),
               C("band", [F("age", "between", [-float("inf"), 40])])]  # fmt: skip
    dash = rw.ExplanationDashboard(tab, cohorts=cohorts)
    wire = dash.get_state()["cohorts"]
    assert wire[1]["filters"][0]["value"] == 1.7976931348623157e308  # JSON has no infinity
    assert wire[3]["filters"][0]["value"] == [-1.7976931348623157e308, 40]
    assert [c.count(tab) for c in dash.cohorts] == [12, 11, 0, 7]
    dash.set_state({"cohorts": wire})  # the view sends them back as they came
    assert [c.to_json() for c in dash.cohorts] == wire and dash.cohort("none").filters[0].value == float("inf")
    path = dash.save_html(tmp_path / "inf.html")
    assert "1.7976931348623157e+308" in path.read_text()


def test_state_lists_cannot_be_edited_in_place(exp):
    """In-place edits would be neither checked nor sent to the view: they are refused, with the fix."""
    import copy

    dash = rw.ExplanationDashboard(exp, cohorts=[LONG], selected_rows=[1])
    for edit in (
        lambda: dash.cohorts.append(C("x", [F("nope", ">", 1)])),
        lambda: dash.cohorts.insert(0, WRONG),
        lambda: dash.cohorts.__setitem__(0, WRONG),
        lambda: dash.cohorts.pop(),
        lambda: dash.cohorts.clear(),
        lambda: dash.selected_rows.append(99),
    ):
        with pytest.raises(TypeError, match=r"cannot be edited in place.*dash.cohorts = dash.cohorts \+ \[cohort\]"):
            edit()
    assert names(dash) == [ALL_DATA, "long"] and dash.selected_rows == [1]
    dash.cohorts = dash.cohorts + [WRONG]  # the way to add one
    assert names(dash) == [ALL_DATA, "long", "wrong"]
    mine = copy.deepcopy(dash.cohorts)
    mine.append(C("more"))
    assert type(mine) is list and len(dash.cohorts) == 3


def test_save_html_and_save_check_their_paths(exp, tmp_path):
    dash = rw.ExplanationDashboard(exp)
    with pytest.raises(FileNotFoundError, match="the folder .*missing.* does not exist; create it first"):
        dash.save_html(tmp_path / "missing" / "r.html")
    with pytest.raises(TypeError, match="title must be a string or None, not int"):
        dash.save_html(tmp_path / "r.html", title=3)
    with pytest.raises(FileNotFoundError, match="the folder .*missing.* does not exist"):
        exp.save(tmp_path / "missing" / "e")
    for bad in (None, 3, ["a.npz"]):
        with pytest.raises(TypeError, match="needs a file path"):
            rw.load(bad)
        with pytest.raises(TypeError, match="needs a file path"):
            exp.save(bad)
