"""Driving the view's cohort editor in browser tests."""


def draft_cohort(view, name: str, column: str, op: str, value: str):
    """In `view`, open the Cohorts tab and start a new cohort `name` with one filter, unsaved; returns the editor."""
    view.get_by_test_id("tab-cohorts").click()
    editor = view.get_by_test_id("cohort-editor")
    editor.get_by_test_id("cohort-new").click()
    field = editor.get_by_test_id("cohort-name")
    field.fill("")
    field.press_sequentially(name)  # real keys: JupyterLab's command-mode shortcuts must not take them
    editor.get_by_test_id("filter-add").click()
    row = editor.get_by_test_id("filter-row").first
    row.get_by_test_id("filter-column").select_option(column)
    row.get_by_test_id("filter-op").select_option(op)
    row.get_by_test_id("filter-value").fill(value)
    return editor
