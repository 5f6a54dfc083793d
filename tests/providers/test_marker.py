from hypothesis import given
from hypothesis import strategies as st

from provisioner.providers.marker import mark_description, parse_ref_id, ref_id, split_description


def test_marker_round_trip_keeps_user_text() -> None:
    d = mark_description("Ambient conditions", "plant", "assets.acme-motor")
    assert d == "Ambient conditions [provision:plant/assets.acme-motor]"
    assert split_description(d) == ("Ambient conditions", "plant", "assets.acme-motor")


def test_marker_without_user_text_and_unmarked() -> None:
    assert split_description(mark_description(None, "s", "k")) == (None, "s", "k")
    assert split_description("hand made") == ("hand made", None, None)
    assert split_description(None) == (None, None, None)


_CHARS = st.characters(blacklist_characters="[]", blacklist_categories=("Cs",))
_TEXT = st.text(alphabet=_CHARS).map(str.strip)


@given(_TEXT, st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True),
       st.from_regex(r"[a-z0-9_.-]{1,30}", fullmatch=True))
def test_marker_round_trip_any_text(text: str, stack: str, key: str) -> None:
    user, s, k = split_description(mark_description(text or None, stack, key))
    assert (user, s, k) == (text or None, stack, key)


def test_ref_ids() -> None:
    r = ref_id("plant", "north", "logger-2")
    assert r == "iac:plant/north/logger-2"
    assert parse_ref_id(r) == ("plant", ("north", "logger-2"))
    assert parse_ref_id("12345") is None
    assert parse_ref_id("iac:plant") is None


def test_marker_flags_round_trip_and_do_not_change_the_key() -> None:
    from provisioner.providers.marker import (
        PREVENT_DESTROY,
        description_flags,
        mark_notes,
        split_notes,
    )

    marked = mark_description("Motor", "plant", "assets.m", (PREVENT_DESTROY,))
    assert marked == "Motor [provision:plant/assets.m|prevent_destroy]"
    assert split_description(marked) == ("Motor", "plant", "assets.m")
    assert description_flags(marked) == {PREVENT_DESTROY}
    assert description_flags(mark_description("Motor", "plant", "assets.m")) == frozenset()
    assert split_notes(mark_notes("Demo", (PREVENT_DESTROY,))) == ("Demo", frozenset({PREVENT_DESTROY}))
    assert split_notes(mark_notes(None, (PREVENT_DESTROY,))) == (None, frozenset({PREVENT_DESTROY}))
    assert mark_notes("Demo", ()) == "Demo" and split_notes("Demo") == ("Demo", frozenset())
