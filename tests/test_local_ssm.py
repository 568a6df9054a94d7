"""local-ssm answers programs on this machine, and nothing a web page or another host name sends."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from clarity_settings.ssm import local
from clarity_settings.ssm.local import LocalSsm

SECRET = "seeded-local-secret-0123456789"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalSsm]:
    """A running local-ssm holding one seeded secret."""
    with local.running() as running:
        running.seed("/clarity/development", {"api_token": SECRET})
        yield running


def status_of(url: str, *, method: str = "POST", headers: dict[str, str] | None = None) -> int:
    """The HTTP status of one raw request, as curl would send it (moto routes it by its credential scope)."""
    body = json.dumps({"Path": "/clarity/development", "WithDecryption": True}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url,
        data=None if method == "OPTIONS" else body,
        method=method,
        headers={
            "X-Amz-Target": "AmazonSSM.GetParametersByPath",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ssm/aws4_request, "
            "SignedHeaders=host, Signature=0",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback only
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_an_sdk_client_reads_what_was_seeded(server: LocalSsm) -> None:
    found = server.client().get_parameter(Name="/clarity/development/api_token", WithDecryption=True)
    assert found["Parameter"]["Value"] == SECRET


def test_motos_admin_api_is_refused(server: LocalSsm) -> None:
    before = server.client().get_parameter(Name="/clarity/development/api_token")["Parameter"]
    assert status_of(f"{server.url}/moto-api/reset") == 403
    assert server.client().get_parameter(Name="/clarity/development/api_token")["Parameter"] == before


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Mode": "no-cors"}],
    ids=["origin", "sec-fetch-site", "sec-fetch-mode"],
)
def test_a_request_a_web_page_sends_is_refused(server: LocalSsm, headers: dict[str, str]) -> None:
    assert status_of(server.url, headers=headers) == 403


def test_a_cors_preflight_is_refused(server: LocalSsm) -> None:
    assert status_of(server.url, method="OPTIONS", headers={"Origin": "http://evil.example"}) == 403


def test_a_host_name_rebound_to_loopback_is_refused(server: LocalSsm) -> None:
    port = server.url.rsplit(":", 1)[1]
    assert status_of(server.url, headers={"Host": f"rebound.example:{port}"}) == 403


def test_the_same_request_without_browser_headers_is_answered(server: LocalSsm) -> None:
    assert status_of(server.url) == 200
