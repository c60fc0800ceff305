"""Who a post's author is among a site's authors (feeds/authors.py): names alike are two
authors, one name with other addresses is two, one name typed two ways is one. Pure."""

from __future__ import annotations

from itertools import islice

import pytest

from feeds.authors import KnownAuthor, choose, filled, name_key, slugs_for
from feeds.models import Author

SAM = KnownAuthor(1, "sam-lee", "Sam Lee", email="sam@example.org")
SAMUEL = KnownAuthor(2, "sam-lee-2", "Sam Lee", email="samuel@example.net")


@pytest.mark.parametrize("name", ["Jose Nunez", "A Smith", "a.smith", "Sam  Lee"])
def test_names_that_make_one_slug_are_other_authors(name: str) -> None:
    known = [KnownAuthor(1, "jose-nunez", "José Núñez"), KnownAuthor(2, "a-smith", "A. Smith"),
             KnownAuthor(3, "sam-lee", "Sam Lee")]
    assert choose(known, Author(name)) is None


def test_one_name_typed_in_either_case_or_unicode_form_is_one_author() -> None:
    zoe = KnownAuthor(1, "zoe", "Zoë")
    assert choose([zoe], Author("Zoe\u0308")) == zoe  # e and a combining diaeresis
    assert choose([zoe], Author("ZOË")) == zoe
    assert name_key("Zoe\u0308") == name_key("zoë")


def test_one_name_with_another_address_is_another_author() -> None:
    assert choose([SAM], Author("Sam Lee", email="samuel@example.net")) is None
    assert choose([SAM], Author("Sam Lee", uri="https://sam.example")) == SAM  # nothing differs
    assert choose([SAM], Author("Sam Lee", email="SAM@Example.org")) == SAM  # an email's case
    assert choose([KnownAuthor(1, "sam", "Sam", account="sam")],
                  Author("Sam", account="samuel")) is None  # two WordPress users


def test_an_author_is_the_one_sharing_an_address_else_the_oldest() -> None:
    assert choose([SAM, SAMUEL], Author("Sam Lee", email="samuel@example.net")) == SAMUEL
    assert choose([SAMUEL, SAM], Author("Sam Lee")) == SAM  # the oldest: the lowest id


def test_an_author_met_again_with_an_address_keeps_it_from_then_on() -> None:
    plain = KnownAuthor(1, "sam-lee", "Sam Lee")
    assert filled(plain, Author("Sam Lee", "https://sam.example", account="sam")) == {
        "uri": "https://sam.example", "account": "sam"}
    assert filled(SAM, Author("Sam Lee", email="sam@example.org")) == {}


def test_a_new_author_takes_the_plain_slug_then_the_first_number() -> None:
    assert list(islice(slugs_for("jose-nunez"), 3)) == ["jose-nunez", "jose-nunez-2",
                                                         "jose-nunez-3"]
