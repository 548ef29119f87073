"""An account's names resolved to its person by core.people (name keys, confirmed aliases, identity's rules)."""
from __future__ import annotations

from core.accounts import auth
from core.people.merges import merge_people
from core.people.queries import person_named
from core.sample import load_sample
from tests.people.test_people_merges import person_id


def test_a_name_an_alias_a_reversed_name_an_initial_and_an_e_mail_lead_to_the_person(engine) -> None:
    load_sample(engine)
    assert person_named(engine, ["Priya Shah"]) == "Priya Shah"
    assert person_named(engine, ["G. Lee"]) == "Grace Lee"  # no row of that name: identity's initials rule
    assert person_named(engine, ["priya.shah@northbridge.example"]) == "Priya Shah"
    assert person_named(engine, [None, "", "Nobody Here"]) is None
    assert person_named(engine, ["Grace Le"]) is None  # a one-letter guess is for an admin, not for sign-in
    merge_people(engine, person_id(engine, "Priya Shah"), [person_id(engine, "P. Shah"),
                                                         person_id(engine, "Shah, Priya")], auth.Viewer("ada", "admin"))
    assert person_named(engine, ["P. Shah"]) == "Priya Shah"  # a merged alias leads to the survivor
    assert person_named(engine, ["Shah, Priya"]) == "Priya Shah"
