"""Import history under AppTest: an undo says what it undid, after the rerun that shows the batch undone."""
from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.importing.service import import_file
from tests.conftest import csv_bytes, plain

HISTORY = str(Path(__file__).resolve().parents[2] / "pages" / "history.py")


def test_an_undo_confirms_the_batch_file_and_rows_once(db_env: str, engine) -> None:
    data = csv_bytes([["Ref", "Task", "Due"], ["A-1", "Write", "15/01/2026"], ["A-2", "Test", "31/02/2026"],
                      ["A-3", "Ship", "20/01/2026"]])
    done = import_file(engine, data, "tracker.csv", user="t", dry_run=False)
    at = AppTest.from_file(HISTORY, default_timeout=120).run()
    assert not at.exception
    issues = next(d for d in at.dataframe if "Message" in json.dumps(json.loads(d.proto.columns)))
    assert json.loads(issues.proto.columns)["Message"]["width"] == "large"
    at.checkbox[0].check()
    at.button[0].click().run()
    assert not at.exception
    assert at.dataframe[0].value["State"].tolist() == ["undone"]
    assert [plain(s.value) for s in at.success] == [
        f"Undone: batch #{done.batch_ids[0]} of tracker.csv: 2 new row(s) removed, 0 updated row(s) restored to "
        "what they were before."]
    at.run()
    assert not at.success  # shown once
