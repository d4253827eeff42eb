"""The argument checks every explainer shares (rai_widget/_checks.py)."""

import numpy as np
import pytest

from rai_widget._checks import check_classes, plain, shown


def test_messages_show_values_as_python_prints_them():
    assert plain(np.int64(0)) == 0 and type(plain(np.int64(0))) is int
    assert plain(np.str_("no")) == "no" and type(plain(np.str_("no"))) is str
    assert plain(np.array(3.5)) == 3.5  # a 0-d array is its scalar
    assert plain(np.array([[1, 2]])) == [[1, 2]] and plain((np.int64(1), "a")) == (1, "a")
    assert shown(np.arange(12)) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... (12 in all)]"
    assert shown(np.str_("no")) == "'no'"


@pytest.mark.parametrize(
    "classes, error, message",
    [
        ("zip", TypeError, "classes must be a list of class names"),
        ([], ValueError, "classes is empty"),
        (["a", "a"], ValueError, "classes names 'a' more than once"),
        ([1, "1"], ValueError, "classes names '1' more than once"),
        ([1, 1.0], ValueError, "equal as values"),
        ([True, 1], ValueError, "equal as values"),
        ([("a", 1), "b"], TypeError, "classes must hold strings, numbers or booleans"),
        ([None, "b"], TypeError, "is a NoneType"),
        ([float("nan"), 1.0], TypeError, "classes must hold strings"),
    ],
)
def test_class_lists_that_cannot_name_classes_are_refused(classes, error, message):
    with pytest.raises(error, match=message):
        check_classes(classes)


def test_valid_class_lists_come_back_as_python_values():
    assert check_classes(np.array(["no", "yes"])) == ["no", "yes"]
    assert check_classes([np.int64(3), np.int64(1)]) == [3, 1]
    assert check_classes(None) is None
