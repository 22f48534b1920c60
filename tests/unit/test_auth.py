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


def test_a_token_may_name_its_official_and_the_others_name_none():
    store = TokenStore.from_file(DEV_TOKENS)
    leader = store.principal("dev-county-leader")
    assert leader == Principal(name="王建国", scope="county", role=Role.viewer, official_id="cl-wang-jianguo")
    assert store.principal("dev-dacheng-clerk").official_id is None


def test_new_prints_the_official_only_when_given(monkeypatch, capsys):
    from buildingblocks import auth

    lines = {}
    for extra in ([], ["--official", "t-zhang-san"]):
        monkeypatch.setattr("sys.argv", ["auth", "new", "--scope", "dacheng", "--role", "clerk", "--name", "张三", *extra])
        auth.main()
        token_line, entry_line = capsys.readouterr().out.splitlines()
        token = token_line.rsplit(" ", 1)[-1]
        [(key, entry)] = json.loads(entry_line).items()
        assert key == digest(token) and token not in entry_line
        lines[bool(extra)] = entry
    assert lines[False] == {"name": "张三", "scope": "dacheng", "role": "clerk"}
    assert lines[True] == {"name": "张三", "scope": "dacheng", "role": "clerk", "official_id": "t-zhang-san"}
