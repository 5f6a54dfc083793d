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
