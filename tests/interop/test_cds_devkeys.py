"""The local-key recipe of docs/cds-hooks.md, run as written: make a key, configure the service from the
environment, sign a token, call the service. Also: keys bound to their issuer, and an EHR that signs as
another issuer refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gabacare.interop.cds_devkeys import JWKS_FILE, make_dev_keys, sign_dev_token
from gabacare.web import WebSettings, create_app
from interop._requests import order_request

BASE = "http://127.0.0.1:8000"
ISS = "https://ehr.local.test"
SERVICE = "/cds-services/gabacare-order-sign"


def cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "gabacare.interop.cds_devkeys", *args], capture_output=True,
                          text=True, check=True, timeout=60)
    return done.stdout.strip()


def test_the_documented_local_key_recipe_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "cds-dev"
    assert "GABACARE_CDS_JWKS_FILE" in cli("keys", str(keys))
    assert (keys / "cds-dev-key.pem").stat().st_mode & 0o077 == 0  # the private key is the owner's alone
    monkeypatch.setenv("GABACARE_PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("GABACARE_CDS_ISSUERS", ISS)
    monkeypatch.setenv("GABACARE_CDS_JWKS_FILE", str(keys / JWKS_FILE))
    settings = WebSettings(secret_key="cds-devkeys-secret-0123456789", access_log=False)
    assert settings.cds_require_jwt is True
    with TestClient(create_app(settings)) as c:
        assert c.post(SERVICE, json=order_request("order-sign")).status_code == 401
        token = cli("token", str(keys), "--iss", ISS, "--aud", BASE + SERVICE)
        r = c.post(SERVICE, json=order_request("order-sign"), headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["cards"]
        again = c.post(SERVICE, json=order_request("order-sign"), headers={"authorization": f"Bearer {token}"})
        assert again.status_code == 401  # single use
    with pytest.raises(subprocess.CalledProcessError):
        cli("token", str(tmp_path / "nowhere"), "--iss", ISS, "--aud", BASE + SERVICE)


def test_keys_bound_to_their_issuer_refuse_an_ehr_signing_as_another(tmp_path: Path) -> None:
    ehr_a, ehr_b = tmp_path / "a", tmp_path / "b"
    make_dev_keys(ehr_a)
    make_dev_keys(ehr_b)
    jwks = tmp_path / "issuers.json"
    jwks.write_text(json.dumps({"https://a.example": json.loads((ehr_a / JWKS_FILE).read_text()),
                                "https://b.example": json.loads((ehr_b / JWKS_FILE).read_text())}))
    settings = WebSettings(secret_key="cds-devkeys-secret-0123456789", access_log=False, public_base_url=BASE,
                           cds_issuers=("https://a.example", "https://b.example"), cds_jwks_file=jwks)
    with TestClient(create_app(settings)) as c:
        def call(directory: Path, issuer: str) -> int:
            token = sign_dev_token(directory, issuer=issuer, audience=BASE + SERVICE)
            return c.post(SERVICE, json=order_request("order-sign"), headers={"authorization": f"Bearer {token}"}
                          ).status_code

        assert call(ehr_a, "https://a.example") == 200
        assert call(ehr_b, "https://b.example") == 200
        # Both kids are "gabacare-dev": with one shared JWKS, A's key would verify a token claiming B.
        assert call(ehr_a, "https://b.example") == 401
        assert call(ehr_a, "https://c.example") == 401


def test_a_jwks_file_naming_an_issuer_not_allowed_stops_the_app(tmp_path: Path) -> None:
    make_dev_keys(tmp_path)
    jwks = tmp_path / "issuers.json"
    jwks.write_text(json.dumps({"https://stranger.example": json.loads((tmp_path / JWKS_FILE).read_text())}))
    settings = WebSettings(secret_key="cds-devkeys-secret-0123456789", access_log=False, public_base_url=BASE,
                           cds_issuers=(ISS,), cds_jwks_file=jwks)
    with pytest.raises(ValueError, match="stranger"):
        create_app(settings)
