import json

from pyg_prosampler.results import append_record, load_records, replace_rows


def test_replace_rows_keeps_other_cases_and_replaces_this_one(tmp_path):
    path = str(tmp_path / "table.json")
    replace_rows(path, [{"dataset": "A", "v": 1}], lambda r: True,
                 machine="m")
    replace_rows(path, [{"dataset": "B", "v": 2}],
                 lambda r: r["dataset"] != "B", machine="m")
    replace_rows(path, [{"dataset": "A", "v": 3}],
                 lambda r: r["dataset"] != "A", machine="m2", command="c")
    with open(path) as f:
        table = json.load(f)
    assert table == {"rows": [{"dataset": "B", "v": 2},
                              {"dataset": "A", "v": 3}],
                     "machine": "m2", "command": "c"}
    assert not (tmp_path / "table.json.tmp").exists()


def test_replace_rows_under_another_key(tmp_path):
    path = str(tmp_path / "table.json")
    replace_rows(path, [{"x": 1}], lambda r: True, key="records")
    replace_rows(path, [{"x": 2}], lambda r: True, key="records")
    with open(path) as f:
        assert json.load(f) == {"records": [{"x": 1}, {"x": 2}]}


def test_append_record_appends(tmp_path):
    path = str(tmp_path / "sub" / "records.json")
    append_record(path, {"seed": 0})
    append_record(path, {"seed": 1})
    assert load_records(path) == [{"seed": 0}, {"seed": 1}]
