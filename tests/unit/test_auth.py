"""Tokens: stored as SHA-256 only, scoped to a township or the county, ordered roles."""
from __future__ import annotations

import json

from buildingblocks.auth import DEV_TOKENS, Principal, Role, TokenStore, digest


def test_the_token_file_holds_digests_not_tokens():
    raw = DEV_TOKENS.read_text()
    assert "dev-dacheng-clerk" not in raw
    assert digest("dev-dacheng-clerk") in json.loads(raw)


def test_dev_tokens_resolve_to_their_scope_and_role():
    store = TokenStore.from_file(DEV_TOKENS)
    assert store.principal("dev-dacheng-clerk") == Principal(name="大程镇企业办", scope="dacheng", role=Role.clerk)
    assert store.principal("dev-county-admin").scope == "county"
    assert store.principal("not-a-token") is None


def test_a_township_token_stays_in_its_township_and_roles_are_ordered():
    clerk = Principal(name="c", scope="dacheng", role=Role.clerk)
    assert clerk.may("dacheng", Role.viewer) and clerk.may("dacheng", Role.clerk)
    assert not clerk.may("dacheng", Role.admin)
    assert not clerk.may("xiyang", Role.viewer)
    assert not clerk.may(None, Role.viewer)  # county-wide reads need a county token


def test_a_county_token_covers_every_township():
    viewer = Principal(name="v", scope="county", role=Role.viewer)
    assert viewer.may("dacheng", Role.viewer) and viewer.may(None, Role.viewer)
    assert not viewer.may("dacheng", Role.clerk)
