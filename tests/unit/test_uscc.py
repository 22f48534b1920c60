"""USCC (GB 32100-2015) validation against domain-anchors §4, with an independent reference implementation."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import uscc

# --- Reference implementation, written from domain-anchors §4 (not from contracts.uscc) ---
CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]
FORBIDDEN = "IOZSV"


def weighted_sum(first17: str) -> int:
    return sum(CS.index(ch) * w for ch, w in zip(first17, W))


def ref_check(first17: str) -> str:
    return CS[(31 - weighted_sum(first17) % 31) % 31]


def ref_org_check(org8: str) -> str:
    total = sum((int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10) * w for ch, w in zip(org8, ORG_W))
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def ref_code(head: str, org8: str) -> str:
    """A code with both check characters right, from positions 1-8 and 9-16."""
    first17 = head + org8 + ref_org_check(org8)
    return first17 + ref_check(first17)


def error_of(code) -> str:
    with pytest.raises(uscc.USCCError) as info:
        uscc.validate(code)
    return str(info.value)


# --- Constants and worked examples ---

def test_reference_constants_match_the_formula_and_the_module():
    assert len(CS) == 31 and not set(CS) & set(FORBIDDEN)
    assert W == [pow(3, i, 31) for i in range(17)]
    assert uscc.CHARSET == CS and uscc.WEIGHTS == W and uscc.ORG_WEIGHTS == ORG_W


@pytest.mark.parametrize("code", ["91110000600037341L", "121200004013590816", "91330782MA2ABCD13A"])
def test_worked_examples_are_valid(code):
    assert uscc.validate(code) == code
    assert uscc.is_valid(code)
    assert ref_check(code[:17]) == code[17]
    assert ref_org_check(code[8:16]) == code[16]


def test_worked_example_arithmetic():
    assert weighted_sum("91110000600037341") == 538 and 538 % 31 == 11 and CS[20] == "L"
    assert weighted_sum("12120000401359081") == 738 and 738 % 31 == 25 and CS[6] == "6"
    assert ref_org_check("MA2ABCD1") == "3" and ref_check("91330782MA2ABCD13") == "A"


def test_pilot_region_code_fails_only_the_check_character():
    message = error_of("91350100M0001TGQXM")
    assert "check character" in message and "'1'" in message and "'M'" in message
    assert not uscc.is_valid("91350100M0001TGQXM")
    assert ref_org_check("M0001TGQ") == "X"  # the anchors say its inner organisation check passes


def test_authority_codes_other_than_digits_are_accepted():
    # python-stdnum wrongly requires positions 1-8 to be digits; authority `Y` (and A, N) must pass.
    for head in ("Y1330782", "A1330782", "N2330782", "92330782", "93330782"):
        code = ref_code(head, "MA2ABCD1")
        assert uscc.validate(code) == code


def test_check_helpers_agree_with_the_reference():
    assert uscc.check_character("91110000600037341") == "L"
    assert uscc.org_check_character("60003734") == "1"
    assert uscc.org_check_character("40000000") == "X"  # 11 - 12 % 11 = 10
    assert uscc.org_check_character("00000000") == "0"  # 11 - 0 = 11
    assert ref_org_check("40000000") == "X" and ref_org_check("00000000") == "0"


# --- Normalisation ---

@pytest.mark.parametrize(
    "raw",
    [
        "91110000600037341l",
        " 91110000600037341L ",
        "9111 0000 6000 3734 1L",
        "91-110000-600037341-L",
        "9111-0000 6000-3734 1l",
    ],
)
def test_normalises_case_spaces_and_hyphens(raw):
    assert uscc.normalise(raw) == "91110000600037341L"
    assert uscc.validate(raw) == "91110000600037341L"


# --- Each error names what is wrong ---

@pytest.mark.parametrize("code,got", [("91110000600037341", 17), ("91110000600037341LL", 19), ("", 0)])
def test_wrong_length(code, got):
    message = error_of(code)
    assert "18 characters" in message and f"got {got}" in message


def test_length_counts_after_normalisation():
    assert "got 17" in error_of("9111-0000 6000 3734 1")


@pytest.mark.parametrize("forbidden", list(FORBIDDEN))
def test_forbidden_letters_are_named(forbidden):
    code = "91330782" + forbidden + "A2ABCD13A"
    message = error_of(code)
    assert forbidden in message and "not allowed" in message
    assert "I, O, Z, S, V" in message


def test_other_foreign_characters_are_named():
    message = error_of("91330782MA2ABCD1*A")
    assert "*" in message and "not allowed" in message


def test_non_string_is_rejected():
    assert "string" in error_of(91110000600037341)
    assert not uscc.is_valid(None)


@pytest.mark.parametrize("position", range(3, 9))
def test_positions_3_to_8_must_be_digits(position):
    # Both check characters are right, so only the division code is wrong.
    head = "91330782"
    head = head[: position - 1] + "A" + head[position:]
    code = ref_code(head, "MA2ABCD1")
    assert "positions 3-8" in error_of(code)


def test_check_character_error_names_the_expected_one():
    message = error_of("91110000600037341M")
    assert "check character" in message and "position 18" in message
    assert "'M'" in message and "expected 'L'" in message


def test_organisation_code_check_on_position_17():
    # Position 17 wrong for GB 11714 (should be 1), position 18 recomputed so the USCC check passes.
    first17 = "9111000060003734" + "2"
    code = first17 + ref_check(first17)
    message = error_of(code)
    assert "organisation code" in message and "GB 11714" in message and "position 17" in message
    assert "'2'" in message and "expected '1'" in message


def test_organisation_check_alone_misses_some_substitutions():
    # Why the mod-31 check matters: mod 11 cannot see a value change that is a multiple of 11 ('1' -> 'C').
    code = ref_code("91330782", "10000000")
    mutated = code[:8] + "C" + code[9:]
    assert ref_org_check(mutated[8:16]) == mutated[16]
    assert "check character (position 18)" in error_of(mutated)


# --- Property tests ---

allowed = st.sampled_from(CS)
digit = st.sampled_from("0123456789")


@st.composite
def valid_codes(draw) -> str:
    head = draw(allowed) + draw(allowed) + "".join(draw(st.lists(digit, min_size=6, max_size=6)))
    org8 = "".join(draw(st.lists(allowed, min_size=8, max_size=8)))
    return ref_code(head, org8)


@settings(max_examples=300, deadline=None)
@given(valid_codes())
def test_generated_valid_codes_are_accepted(code):
    assert uscc.validate(code) == code
    assert uscc.validate(code.lower()) == code
    assert uscc.check_character(code[:17]) == code[17]


def test_every_weight_detects_every_single_substitution():
    # 31 is prime and no weight is 0 mod 31, so a change d != 0 in one value changes the sum mod 31.
    for w in W:
        for d in range(1, 31):
            assert (d * w) % 31 != 0


@settings(max_examples=150, deadline=None)
@given(valid_codes())
def test_any_single_substitution_is_rejected(code):
    for i in range(18):
        # At positions 3-8 only digits are allowed, so a letter there would fail on format, not on the check.
        candidates = "0123456789" if 2 <= i <= 7 else CS
        for ch in candidates:
            if ch == code[i]:
                continue
            mutated = code[:i] + ch + code[i + 1:]
            assert ref_check(mutated[:17]) != mutated[17]
            message = error_of(mutated)
            assert "check character (position 18)" in message, (mutated, message)


def test_whitespace_of_any_kind_and_dashes_from_copied_codes_are_dropped():
    assert uscc.validate("\u30009133-0782 MA2A\u00a0BCD13a\n") == "91330782MA2ABCD13A"
