"""The profiler and the column → field assignment on tiny hand-built columns, one class of mistake per test."""
from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
import pytest

from core.importing.assign import assign
from core.importing.dates import parse_date_column
from core.importing.events import workflow_positions
from core.importing.mapping import build_mapping, detect_kind
from core.importing.profile import profile_table
from core.importing.service import ImportBlocked, ImportOptions, import_file, prepare
from core.importing.vocabulary import canonical_status, suggest_status


def frame(rows: list[list[object]]) -> pd.DataFrame:
    return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)


def mapped(rows: list[list[object]], kind: str = "work_items") -> dict[str, str]:
    data = frame(rows)
    choices = assign(list(data.columns), kind, profile_table(data))
    return {c.field: h for h, c in choices.items() if c.field}


def csv_bytes(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    for r in rows:
        out.write(",".join(str(v) for v in r) + "\n")
    return out.getvalue().encode()


def test_a_count_column_named_like_a_date_is_not_a_date() -> None:
    rows = [["Key", "Title", "Created"]] + [[f"T-{i}", f"Task number {i}", str(i * 3)] for i in range(1, 9)]
    fields = mapped(rows)
    assert "created_at" not in fields and fields["external_key"] == "Key"
    choice = assign(["Key", "Title", "Created"], "work_items", profile_table(frame(rows)))["Created"]
    assert choice.field is None and "not dates" in choice.reason


def test_custom_field_collisions_match_only_their_own_bracket() -> None:
    rows = [["Issue key", "Summary", "Custom field (Rank)", "Custom field (Story Points)", "Custom field (Team)"],
            ["A-1", "First story", "0|i001", "3", "Core"], ["A-2", "Second story", "0|i002", "5", "Core"],
            ["A-3", "Third story", "0|i003", "8", "Web"]]
    fields = mapped(rows)
    assert fields["effort"] == "Custom field (Story Points)" and fields["team"] == "Custom field (Team)"
    assert "Custom field (Rank)" not in fields.values()


def test_a_text_column_offered_to_a_number_field_is_vetoed() -> None:
    rows = [["Key", "Title", "Story points"]] + [[f"K-{i}", f"Item {i} title", "see epic"] for i in range(6)]
    assert "effort" not in mapped(rows)


def test_a_foreign_language_header_set_maps_by_words_and_content() -> None:
    rows = [["Schlüssel", "Zusammenfassung", "Status", "Bearbeiter", "Erstellt"],
            ["MF-1", "Übungen auslesen", "In Arbeit", "Anna Beck", "30/Nov/16 10:02 AM"],
            ["MF-2", "Plan speichern", "Erledigt", "Jan Ott", "01/Dez/16 9:57 AM"],
            ["MF-3", "Login bauen", "Offen", "Anna Beck", "02/Dez/16 8:00 AM"]]
    assert mapped(rows) == {"external_key": "Schlüssel", "title": "Zusammenfassung", "status": "Status",
                            "owner": "Bearbeiter", "created_at": "Erstellt"}
    assert [canonical_status(w) for w in ("In Arbeit", "Erledigt", "Offen")] == ["in_progress", "done", "todo"]


def test_headers_in_no_language_still_give_key_title_and_status_from_content() -> None:
    rows = [["c1", "c2", "c3"]] + [[f"ZX-{i}", f"A longer sentence that describes item {i}", s]
                                   for i, s in enumerate(["Open", "Closed", "In Progress", "Open", "Done"])]
    assert mapped(rows) == {"external_key": "c1", "title": "c2", "status": "c3"}


def test_three_value_column_is_never_a_title() -> None:
    rows = [["Name", "Ref"]] + [[["Low", "High", "Mid"][i % 3], f"R{i}"] for i in range(30)]
    assert mapped(rows).get("title") != "Name"


def test_event_log_with_an_odd_time_header_keeps_the_latest_state_and_every_event(engine) -> None:
    rows = [["Case", "Step", "Change Date+Time"],
            ["C1", "Open", "2024-01-01 09:00"], ["C1", "In Progress", "2024-01-02 10:30"],
            ["C1", "Closed", "2024-01-05 16:45"], ["C2", "Open", "2024-01-03 08:15"],
            ["C2", "Closed", "2024-01-04 11:00"], ["C3", "Open", "2024-01-06 12:00"]]
    prepared = prepare(csv_bytes(rows), "log.csv")
    assert prepared.sheets[0].mapping.fields["updated_at"] == "Change Date+Time"
    result = import_file(engine, csv_bytes(rows), "log.csv", user="t")
    assert result.rows_read == 6 and result.inserted == 3 and result.status_events == 6
    with engine.connect() as conn:
        state = dict(conn.exec_driver_sql("select external_key, raw_status from workitem").fetchall())
        times = [str(r[0])[:16] for r in conn.exec_driver_sql(
            "select e.at from statusevent e join workitem w on w.id = e.work_item_id where w.external_key = 'C1' "
            "order by e.at").fetchall()]
    assert state == {"C1": "Closed", "C2": "Closed", "C3": "Open"}
    assert times == ["2024-01-01 09:00", "2024-01-02 10:30", "2024-01-05 16:45"]


def test_unknown_status_words_are_suggested_from_their_place_in_the_workflow() -> None:
    log = pd.DataFrame({"external_key": ["A", "A", "A", "B", "B"], "raw_status": ["Triage me", "Poke", "Zap it",
                                                                               "Triage me", "Zap it"],
                        "updated_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01",
                                                      "2024-01-02"])})
    pos = workflow_positions(log)
    assert pos["Triage me"] == 0.0 and pos["Zap it"] == 1.0
    assert suggest_status("Zap it", pos["Zap it"]) == "done" and suggest_status("Triage me", 0.0) == "todo"
    assert suggest_status("Closd") == "done"  # a close match of a known word


def test_a_mapped_column_that_fails_on_most_rows_is_unmapped_with_a_warning(engine) -> None:
    rows = [["Key", "Title", "Due"]] + [[f"K-{i}", f"Item {i}", "soonish"] for i in range(4)] + [
        ["K-9", "Item 9", "2024-05-01"]]
    result = import_file(engine, csv_bytes(rows), "t.csv", ImportOptions(overrides={"due_at": "Due"}), user="t")
    assert result.inserted == 5 and result.rejected == 0
    assert any("left unmapped as Due" in i.message for i in result.issues)
    with pytest.raises(ImportBlocked, match="not dates"):
        import_file(engine, csv_bytes(rows), "t2.csv", ImportOptions(overrides={"due_at": "Due"}, strict=True),
                    user="t")


def test_an_import_that_would_reject_every_row_is_refused(engine) -> None:
    rows = [["Key", "Title", "Effort"]] + [[f"K-{i}", f"Item {i}", "-3"] for i in range(3)]
    with pytest.raises(ImportBlocked, match="every one of its 3 row"):
        import_file(engine, csv_bytes(rows), "t.csv", ImportOptions(overrides={"effort": "Effort"}), user="t")


def test_dates_in_many_conventions() -> None:
    cases = {"2024/3/5 10:20": "2024-03-05 10:20", "5.3.2024": "2024-03-05 00:00",
             "12/Feb/24 2:51 PM": "2024-02-12 14:51", "Wed, 2 Oct 2013 10:15:50 +0300": "2013-10-02 10:15",
             "01/Dez/16 10:58 AM": "2016-12-01 10:58", "3 janvier 2023": "2023-01-03 00:00",
             "15 de mayo de 2024": "2024-05-15 00:00", "2 сентября 2022": "2022-09-02 00:00",
             "2024-03-05T23:30:00+05:00": "2024-03-05 23:30", "1380698150": "2013-10-02 07:15"}
    for text, want in cases.items():
        col = parse_date_column(pd.Series([text], dtype=object))
        assert str(col.values.iloc[0])[:16] == want, text


def test_relative_dates_count_back_from_the_export_time() -> None:
    col = parse_date_column(pd.Series(["2 hours ago", "yesterday", "vor 3 Tagen"], dtype=object),
                            anchor=datetime(2024, 5, 1, 10, 0))
    assert [str(v)[:16] for v in col.values] == ["2024-05-01 08:00", "2024-04-30 00:00", "2024-04-28 00:00"]


def test_out_of_range_dates_are_one_rejected_value_each() -> None:
    col = parse_date_column(pd.Series(["9999-12-31", "2024-01-01", "0001-01-01"], dtype=object))
    assert col.bad.tolist() == [True, False, True] and "1900 to 2200" in col.reasons[0]


def test_a_ticket_extract_with_key_and_title_is_work_not_objectives() -> None:
    rows = [["id", "title", "category"]] + [[f"LP-{i}", f"Request {i} about permits", "Pyyntö"] for i in range(5)]
    data = frame(rows)
    assert detect_kind(list(data.columns), None, profile_table(data))[0] == "work_items"
    assert build_mapping(list(data.columns), columns=profile_table(data)).kind == "work_items"


def test_segmented_readings_are_segments_and_the_headline_is_the_national_level(engine) -> None:
    from openpyxl import Workbook

    from core.kpis import queries as kpi_queries
    head = ["mesure", "indicateur", "id_indicateur", "valeur_actuelle", "date_valeur_actuelle", "cible", "unite"]
    book = Workbook()
    national = book.active
    national.title = "National"
    for row in (head, ["Logement", "Logements rénovés", "nb-log", 120, "2024-06-30", 200, "logements"]):
        national.append(row)
    regional = book.create_sheet("Régional")
    regional.append(head[:2] + ["id_indicateur", "region", "valeur_actuelle", "date_valeur_actuelle", "cible", "unite"])
    for region, value in (("Bretagne", 15), ("Occitanie", 22), ("Total", 120)):
        regional.append(["Logement", "Logements rénovés", "nb-log", region, value, "2024-06-30", 200, "logements"])
    buf = io.BytesIO()
    book.save(buf)
    result = import_file(engine, buf.getvalue(), "barometre.xlsx", user="t")
    assert result.rejected == 0
    headline = kpi_queries.readings_frame(engine)
    assert headline["value"].tolist() == [120.0]  # never a region's value
    kpi_id = int(headline["kpi_id"].iloc[0])
    segments = kpi_queries.segment_readings_frame(engine, kpi_id)
    assert dict(zip(segments["segment"], segments["value"])) == {"Bretagne": 15.0, "Occitanie": 22.0}


def test_two_rows_with_one_key_and_different_values_are_a_named_conflict(engine) -> None:
    rows = [["mesure", "indicateur", "id_indicateur", "valeur_actuelle", "date_valeur_actuelle"],
            ["Santé", "Délai moyen", "delai", "12", "2024-01-31"], ["Santé", "Délai moyen", "delai", "14", "2024-01-31"]]
    result = import_file(engine, csv_bytes(rows), "kpi.csv", user="t")
    conflict = next(i for i in result.issues if "conflict on key" in i.message)
    assert "rows 2 and 3" in conflict.message and "'12'" in conflict.message and "'14'" in conflict.message


def test_a_users_correction_is_learned_for_the_next_file_and_can_be_forgotten(engine) -> None:
    from dataclasses import replace

    from core.importing.learning import forget_mapping_profile
    from core.importing.service import PreparedFile, execute, profiles_from_db

    rows = [["Ref", "Task", "Notes", "Stage"], ["A-1", "Write the plan", "short", "Parked"],
            ["A-2", "Test the plan", "long", "Open"], ["A-3", "Ship the plan", "none", "Closed"]]
    first = prepare(csv_bytes(rows), "tracker.csv")
    ps = first.sheets[0]
    assert ps.mapping.fields["title"] == "Task" and ps.mapping.profile_name is None
    fields = {**ps.mapping.fields, "description": "Notes"}
    mapping = replace(ps.mapping, fields=fields, value_maps={"status": {"Parked": "blocked"}})
    execute(engine, PreparedFile(first.read, [replace(ps, mapping=mapping)]), user="t")
    later = rows[:1] + [["B-1", "Plan again", "x", "Parked"]]
    again = prepare(csv_bytes(later), "tracker_2024-06.csv", profiles=profiles_from_db(engine))
    m = again.sheets[0].mapping
    assert m.fields == fields and m.value_maps == {"status": {"Parked": "blocked"}}
    assert "mapped as last time" in m.choices["Notes"].reason and "tracker.csv" in m.choices["Notes"].reason
    assert again.sheets[0].validated.frame["status"].tolist() == ["blocked"]
    assert forget_mapping_profile(engine, m.profile_name, "t")
    fresh = prepare(csv_bytes(later), "tracker_2024-06.csv", profiles=profiles_from_db(engine)).sheets[0].mapping
    assert fresh.profile_name is None and "description" not in fresh.fields


def test_pinning_one_column_re_scores_the_rest() -> None:
    from core.importing.review import pins_from_rows, rescored

    rows = [["Title", "Summary", "Key"]] + [[f"Short name {i}", f"A longer summary of item {i}", f"K-{i}"]
                                             for i in range(5)]
    prepared = prepare(csv_bytes(rows), "t.csv").sheets[0]
    assert prepared.mapping.fields["title"] == "Title" and "Summary" not in prepared.mapping.fields.values()
    assert "went to 'Title'" in prepared.mapping.choices["Summary"].reason
    edited = pd.DataFrame({"Field": ["Description", "— ignore —", "Key"]})  # the user makes Title the description
    pins = pins_from_rows(prepared.mapping, prepared.table, edited, {})
    assert pins == {"Title": "description"}  # only the row the user changed: Summary is free to take the title
    again = rescored(prepared.mapping, prepared.table, prepared.columns, pins)
    assert again.fields["description"] == "Title" and again.fields["title"] == "Summary"
    assert again.choices["Title"].reason == "chosen by you" and again.fields["external_key"] == "Key"
