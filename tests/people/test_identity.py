"""Identity resolution, pure: name cells parsed, and which rows are proposed as one person (or one team)."""
from __future__ import annotations

import pandas as pd
import pytest

from core.people.identity import ambiguous_names, parse, propose_merges
from core.people.teams import propose_team_merges


def people(*names: str, emails: dict[str, str] | None = None, refs: dict[str, int] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"id": range(1, len(names) + 1), "name": list(names),
                         "email": [(emails or {}).get(n) for n in names],
                         "references": [(refs or {}).get(n, 0) for n in names]})


def groups(frame: pd.DataFrame) -> list[tuple[str, set[str]]]:
    """(survivor, merged names) per proposed group."""
    return [(rows["survivor"].iloc[0], set(rows["name"])) for _g, rows in frame.groupby("group")]


@pytest.mark.parametrize("cell, given, surname, form", [
    ("Priya Shah", ("priya",), "shah", "name"),
    ("Shah, Priya", ("priya",), "shah", "reversed"),
    ("SHAH Priya", ("priya",), "shah", "reversed"),
    ("P. Shah", ("p",), "shah", "name"),
    ("P.Shah", ("p",), "shah", "name"),
    ("Dr. Priya R. Shah", ("priya", "r"), "shah", "name"),
    ("priya.shah@example.com", ("priya",), "shah", "email"),
    ("EXAMPLE\\priya.shah", ("priya",), "shah", "login"),
    ("Beethoven, Ludwig van", ("ludwig",), "van beethoven", "reversed"),
    ("José Núñez", ("jose",), "nunez", "name"),
    ("Priya Shah <priya.shah@example.com>", ("priya",), "shah", "name"),
])
def test_name_cells_parse_into_given_names_and_surname(cell: str, given: tuple, surname: str, form: str) -> None:
    ident = parse(cell)
    assert ident is not None
    assert (ident.given, ident.surname, ident.form) == (given, surname, form)


def test_logins_and_identifiers_are_not_read_as_names() -> None:
    login = parse("EXAMPLE\\pshah")
    assert login is not None and (login.login, login.form, login.full) == ("pshah", "login", False)
    resolver = parse("Resolver 89")
    assert resolver is not None and resolver.form == "opaque" and not resolver.full
    assert parse("") is None and parse(None) is None and parse(float("nan")) is None


def test_the_four_forms_of_priya_shah_are_one_person() -> None:
    found = propose_merges(people("Priya Shah", "P. Shah", "Shah, Priya", "priya.shah@example.com", "Ravi Patel"))
    assert groups(found) == [("Priya Shah", {"P. Shah", "Shah, Priya", "priya.shah@example.com"})]
    evidence = dict(zip(found["name"], found["evidence"]))
    assert evidence == {"P. Shah": "same initials and surname", "Shah, Priya": "name order",
                        "priya.shah@example.com": "e-mail local part"}
    assert not found["check"].any() and (found["confidence"] >= 0.8).all()


def test_ravi_shah_and_priya_shah_are_two_people() -> None:
    assert propose_merges(people("Priya Shah", "Ravi Shah")).empty
    assert propose_merges(people("Olivia Brown", "Tom Brown", "Tom Becker", "Emma Walsh", "Emma Hones")).empty
    found = propose_merges(people("Priya Shah", "Ravi Shah", "Shah, Ravi", "P. Shah"))
    assert sorted(groups(found)) == [("Priya Shah", {"P. Shah"}), ("Ravi Shah", {"Shah, Ravi"})]


def test_initials_that_fit_two_people_are_never_merged() -> None:
    frame = people("Priya Shah", "Pooja Shah", "P. Shah", "EXAMPLE\\pshah")
    assert propose_merges(frame).empty
    left = ambiguous_names(frame)
    assert dict(zip(left["name"], left["could_be"])) == {"P. Shah": "Priya Shah, Pooja Shah",
                                                        "EXAMPLE\\pshah": "Priya Shah, Pooja Shah"}


def test_two_written_forms_of_one_person_still_count_once_for_ambiguity() -> None:
    """'P. Shah' fits Priya Shah and 'Shah, Priya': one person, so the proposal stands."""
    found = propose_merges(people("Priya Shah", "Shah, Priya", "P. Shah"))
    assert groups(found) == [("Priya Shah", {"Shah, Priya", "P. Shah"})]


def test_email_and_domain_login_forms() -> None:
    found = propose_merges(people("Priya Shah", "EXAMPLE\\pshah", "EXAMPLE\\priya.shah", "pshah@example.com",
                                  "Marcus Reid", "mreid"))
    assert sorted(groups(found)) == [("Marcus Reid", {"mreid"}),
                                     ("Priya Shah", {"EXAMPLE\\pshah", "EXAMPLE\\priya.shah", "pshah@example.com"})]
    evidence = dict(zip(found["name"], found["evidence"]))
    assert evidence["EXAMPLE\\pshah"] == "DOMAIN\\user login (initial and surname)"
    assert evidence["EXAMPLE\\priya.shah"] == "DOMAIN\\user login"
    assert evidence["pshah@example.com"] == "e-mail local part (initial and surname)"


def test_an_address_matching_a_persons_email_column_is_that_person() -> None:
    found = propose_merges(people("Priya Shah", "ps01@northbridge.example",
                                  emails={"Priya Shah": "PS01@northbridge.example"}))
    assert groups(found) == [("Priya Shah", {"ps01@northbridge.example"})]
    assert found["evidence"].tolist() == ["same e-mail address"]
    # one mailbox written as two people's e-mail is a shared inbox, not one person
    shared = {"Ann Lee": "desk@x.org", "Bob Stone": "desk@x.org"}
    assert propose_merges(people("Ann Lee", "Bob Stone", emails=shared)).empty


def test_a_login_matching_someones_mailbox_is_that_person_even_beside_a_namesake() -> None:
    frame = people("Priya Shah", "Pooja Shah", "EXAMPLE\\pshah", "pshah",
                   emails={"Priya Shah": "pshah@northbridge.example", "Pooja Shah": "pooja.shah@northbridge.example"})
    found = propose_merges(frame)
    assert groups(found) == [("Priya Shah", {"EXAMPLE\\pshah", "pshah"})]
    assert dict(zip(found["name"], found["evidence"])) == {
        "EXAMPLE\\pshah": "DOMAIN\\user login matches the person's e-mail", "pshah": "login matches the person's e-mail"}
    # without a mailbox or a name to go by, one login written in two systems is still one account
    assert groups(propose_merges(people("jdoe", "CORP\\jdoe"))) == [("jdoe", {"CORP\\jdoe"})]


def test_accents_case_and_spacing_fold() -> None:
    found = propose_merges(people("José Núñez", "Jose Nunez", "NÚÑEZ José", "Mary-Ann Lee", "Mary Ann Lee",
                                  "Søren Ørsted", "Soren Orsted"))
    assert sorted(groups(found)) == [("José Núñez", {"Jose Nunez", "NÚÑEZ José"}),
                                     ("Mary Ann Lee", {"Mary-Ann Lee"}), ("Søren Ørsted", {"Soren Orsted"})]


def test_a_typo_is_proposed_only_as_check() -> None:
    """Exact rules cannot see 'Priya Sah'; rapidfuzz's one-edit distance proposes it, marked for checking."""
    found = propose_merges(people("Priya Shah", "P. Shah", "Priya Sah")).set_index("name")
    assert set(found.index) == {"P. Shah", "Priya Sah"}
    assert not found.loc["P. Shah", "check"] and found.loc["Priya Sah", "check"]
    swapped = propose_merges(people("Priya Shah", "Pryia Shah"))
    assert groups(swapped) == [("Priya Shah", {"Pryia Shah"})] and swapped["check"].all()
    # an unconfirmed typo is still someone else: "P. Shah" could then be either, so it waits
    assert "P. Shah" not in set(propose_merges(people("Priya Shah", "Pryia Shah", "P. Shah"))["name"])
    # one letter apart in a first name is usually another name; numbered pseudonyms are never close
    assert propose_merges(people("Mark Shah", "Mary Shah", "Daniel Roth", "Daniela Roth")).empty
    assert propose_merges(people("Resolver 10", "Resolver 100", "Resolver 1", "Value 5", "Value 3")).empty


def test_the_survivor_is_the_fullest_name_then_the_most_used() -> None:
    found = propose_merges(people("P. Shah", "Shah, Priya", "Priya Shah", refs={"P. Shah": 50, "Shah, Priya": 40}))
    assert found["survivor"].unique().tolist() == ["Priya Shah"]
    twins = propose_merges(people("Jose Nunez", "José Núñez", refs={"Jose Nunez": 7, "José Núñez": 2}))
    assert twins["survivor"].unique().tolist() == ["Jose Nunez"]


def test_proposals_do_not_mutate_their_input() -> None:
    frame = people("Priya Shah", "P. Shah")
    copy = frame.copy()
    propose_merges(frame)
    ambiguous_names(frame)
    pd.testing.assert_frame_equal(frame, copy)


def test_team_names_in_other_spellings_are_proposed_and_parents_are_not() -> None:
    teams = pd.DataFrame({"id": range(1, 9), "name": ["Service Desk", "ServiceDesk", "IT Service Desk", "Group 5",
                                                      "Group 56", "DSBS", "DSBS\\DiagData\\BowStreetRunners",
                                                      "DSBS\\DiagData\\CV CUR - Atom Team"],
                          "references": [40, 3, 2, 1, 1, 1, 31, 110]})
    found = propose_team_merges(teams)
    assert groups(found) == [("Service Desk", {"ServiceDesk", "IT Service Desk"})]
    by_name = found.set_index("name")
    assert not by_name.loc["ServiceDesk", "check"] and by_name.loc["IT Service Desk", "check"]
