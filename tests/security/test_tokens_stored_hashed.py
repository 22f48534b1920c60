"""Tokens are stored only as their SHA-256: the token file and the sources hold no token, and the store looks a
token up by its digest, so a file holding a token in plain text authenticates nobody. No server needed."""
from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from buildingblocks.auth import DEV_TOKENS as DEV_TOKENS_FILE, Role, TokenStore, digest
from tests.support.apps import DEV_TOKENS

ROOT = Path(__file__).resolve().parents[2]
SOURCE_TREES = [ROOT / "buildingblocks" / "src", ROOT / "contracts" / "src"] + sorted((ROOT / "services").glob("*/src"))
README_TABLE = {  # README "Development tokens": token → (scope, role)
    "county_admin": ("county", "admin"), "county_viewer": ("county", "viewer"), "dacheng_clerk": ("dacheng", "clerk"),
    "dacheng_viewer": ("dacheng", "viewer"), "xiyang_clerk": ("xiyang", "clerk"), "county_leader": ("county", "viewer"),
    "county_supervisor": ("county", "supervisor"), "dacheng_unit_rss": ("dacheng", "handler"),
    "county_unit_rsj": ("county", "handler"), "county_unit_zrzyj": ("county", "handler"),
}


def test_every_key_of_the_token_file_is_a_sha256_digest_with_a_name_scope_and_role():
    raw = json.loads(DEV_TOKENS_FILE.read_text(encoding="utf-8"))
    assert raw
    for key, principal in raw.items():
        assert re.fullmatch(r"[0-9a-f]{64}", key), key
        assert set(principal) - {"official_id", "unit_id"} == {"name", "scope", "role"}, principal  # optional ones
        assert principal["role"] in Role.__members__, principal
        assert ("unit_id" in principal) == (principal["role"] == "handler"), principal  # a handler works for a unit


def test_the_development_tokens_are_stored_as_their_digests_with_the_readme_scope_and_role():
    raw = json.loads(DEV_TOKENS_FILE.read_text(encoding="utf-8"))
    for name, token in DEV_TOKENS.items():
        entry = raw[digest(token)]
        assert (entry["scope"], entry["role"]) == README_TABLE[name]


def test_no_token_appears_in_plain_text_in_the_token_file_or_the_sources():
    texts = {DEV_TOKENS_FILE: DEV_TOKENS_FILE.read_bytes()}
    for tree in SOURCE_TREES:
        for path in tree.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                texts[path] = path.read_bytes()
    assert len(texts) > 20  # the trees were found
    for token in DEV_TOKENS.values():
        found = [str(p.relative_to(ROOT)) for p, text in texts.items() if token.encode() in text]
        assert not found, f"{token} in {found}"


def test_the_store_looks_up_the_digest_so_a_file_with_plain_tokens_authenticates_nobody(tmp_path):
    token = DEV_TOKENS["dacheng_clerk"]
    principal = {"name": "大程镇企业办", "scope": "dacheng", "role": "clerk"}
    plain, hashed = tmp_path / "plain.json", tmp_path / "hashed.json"
    plain.write_text(json.dumps({token: principal}), encoding="utf-8")
    hashed.write_text(json.dumps({digest(token): principal}), encoding="utf-8")

    assert TokenStore.from_file(plain).principal(token) is None
    assert TokenStore.from_file(plain).principal(digest(token)) is None  # nor the digest of it, nor anything else
    found = TokenStore.from_file(hashed).principal(token)
    assert found is not None and (found.scope, found.role) == ("dacheng", Role.clerk)
    assert TokenStore.from_file(hashed).principal(digest(token)) is None  # the digest itself is no token


@pytest.mark.parametrize("file,expected", [("plain", 401), ("hashed", 403)])
async def test_a_service_reads_its_token_file_by_digest(tmp_path, monkeypatch, file, expected):
    """Through the HTTP layer: with the token in plain text in AUTH_TOKENS_FILE the token is unknown (401); with its
    digest it is known, and refused only because it is Xiyang's token asking for Dacheng (403). No database is
    reached either way: the refusal comes first."""
    token = DEV_TOKENS["xiyang_clerk"]
    key = token if file == "plain" else digest(token)
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({key: {"name": "西阳镇企业办", "scope": "xiyang", "role": "clerk"}}), encoding="utf-8")
    monkeypatch.setenv("AUTH_TOKENS_FILE", str(path))
    from visits.app import create_app

    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        r = await client.get("/api/v1/townships/dacheng/officials", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == expected, r.text
