import gzip
import json
import random

from pyg_prosampler.experiments.results import (
    append_record,
    load_records,
    replace_rows,
)


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


def test_gz_records_round_trip_as_plain_json(tmp_path):
    rng = random.Random(0)
    records = [{"seed": s, "accuracy": rng.random(),
                "epoch_logs": [{"loss": rng.random()} for _ in range(3)]}
               for s in range(5)]
    plain, packed = str(tmp_path / "r.json"), str(tmp_path / "r.json.gz")
    for r in records:
        append_record(plain, r)
        append_record(packed, r)
    assert load_records(packed) == load_records(plain) == records
    with gzip.open(packed, "rb") as f, open(plain, "rb") as g:
        assert f.read() == g.read()  # the same JSON text, compressed
    replace_rows(str(tmp_path / "t.json.gz"), records, lambda r: True)
    replace_rows(str(tmp_path / "t.json.gz"), [], lambda r: r["seed"] < 2)
    with gzip.open(tmp_path / "t.json.gz", "rt") as f:
        assert json.load(f) == {"rows": records[:2]}
    append_record(packed, records[0])  # appends keep the file compressed
    assert load_records(packed) == records + records[:1]
    assert not list(tmp_path.glob("*.tmp"))
