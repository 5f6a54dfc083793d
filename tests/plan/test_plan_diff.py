from provisioner.model import FieldChange
from provisioner.plan.diff import diff_attrs


def test_equal_maps_have_no_changes() -> None:
    attrs = {"name": "m", "variables": {"T": {"type": "DOUBLE", "unit": "C"}}, "metrics": [{"u": "mm"}]}
    assert diff_attrs(attrs, dict(attrs)) == ()


def test_one_field_change_per_changed_leaf_with_dotted_paths() -> None:
    before = {"name": "a", "variables": {"Temperature": {"type": "DOUBLE", "unit": "C"}},
              "metrics": [{"metric": "x", "unit": "mm"}, {"metric": "y", "unit": "mm"}]}
    after = {"name": "b", "variables": {"Temperature": {"type": "DOUBLE", "unit": "K"}},
             "metrics": [{"metric": "x", "unit": "mm"}, {"metric": "y", "unit": "cm"}]}
    assert diff_attrs(before, after) == (
        FieldChange("metrics.1.unit", "mm", "cm"),
        FieldChange("name", "a", "b"),
        FieldChange("variables.Temperature.unit", "C", "K"),
    )


def test_added_and_removed_keys_carry_none_on_the_missing_side() -> None:
    before = {"variables": {"T": {"type": "DOUBLE"}, "P": {"type": "INT"}}}
    after = {"variables": {"T": {"type": "DOUBLE"}, "H": {"type": "INT", "unit": "%"}}, "notes": "n"}
    assert diff_attrs(before, after) == (
        FieldChange("notes", None, "n"),
        FieldChange("variables.H", None, {"type": "INT", "unit": "%"}),
        FieldChange("variables.P", {"type": "INT"}, None),
    )


def test_disjoint_nested_maps_are_still_diffed_per_key() -> None:
    assert diff_attrs({"x": {"a": 1}}, {"x": {"b": 2}}) == (
        FieldChange("x.a", 1, None),
        FieldChange("x.b", None, 2),
    )


def test_numbers_compare_by_value_but_types_still_matter() -> None:
    assert diff_attrs({"n": 1, "m": [2]}, {"n": 1.0, "m": [2.0]}) == ()
    assert diff_attrs({"n": 1}, {"n": 1.5}) == (FieldChange("n", 1, 1.5),)
    assert diff_attrs({"n": 1}, {"n": "1"}) == (FieldChange("n", 1, "1"),)
    assert diff_attrs({"b": True}, {"b": 1}) == (FieldChange("b", True, 1),)


def test_list_items_appended_and_removed_by_index_sorted_numerically() -> None:
    before = {"m": list(range(12))}
    after = {"m": [*range(12), 99]}
    assert diff_attrs(before, after) == (FieldChange("m.12", None, 99),)
    changed = diff_attrs({"m": [0] * 11}, {"m": [0, 0, 5, *([0] * 7), 7]})
    assert [c.path for c in changed] == ["m.2", "m.10"]
