"""local-ssm answers programs on this machine, and nothing a web page or another host name sends;
where the library depends on it, it answers as AWS does (labels by version, names and values refused).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from mypy_boto3_ssm import SSMClient
from mypy_boto3_ssm.literals import ParameterTierType
from mypy_boto3_ssm.type_defs import ParameterStringFilterTypeDef

from clarity_settings.cli import main
from clarity_settings.ssm import local
from clarity_settings.ssm.local import LocalSsm
from tests.conftest import Project

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


# As AWS answers: the `clarity-settings local-ssm` process, as a developer runs it ------------------------

STABLE: list[ParameterStringFilterTypeDef] = [{"Key": "Label", "Option": "Equals", "Values": ["stable"]}]
LONGEST_NAME = "/" + "n" * 966
"""AWS counts the ARN before a name (45 characters in us-east-1) toward its 1,011."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSsm]:
    """`clarity-settings local-ssm` in a process of its own, found by the export line it prints."""
    home = tmp_path_factory.mktemp("local-ssm")
    with subprocess.Popen(
        [sys.executable, "-m", "clarity_settings", "local-ssm"],
        cwd=home,
        env={"PATH": os.environ["PATH"], "HOME": str(home), "DOTENV_PATH_FOR_DYNACONF": str(home / "no.env")},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        endpoint = next(
            line.strip().partition("=")[2]
            for line in process.stdout
            if line.startswith("export AWS_ENDPOINT_URL_SSM=")
        )
        yield LocalSsm(url=endpoint)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def labelled_then_newer(client: SSMClient, name: str) -> None:
    """Version 1 carries the label 'stable'; version 2, the latest, does not."""
    client.put_parameter(Name=name, Value="one", Type="SecureString")
    client.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])
    client.put_parameter(Name=name, Value="two", Type="SecureString", Overwrite=True)


def test_a_label_filter_answers_the_labelled_version_under_a_newer_one(served: LocalSsm) -> None:
    client = served.client()
    labelled_then_newer(client, "/labels/by-path/a")
    found = client.get_parameters_by_path(
        Path="/labels/by-path", Recursive=True, WithDecryption=True, ParameterFilters=STABLE
    )["Parameters"]
    assert [(item["Name"], item["Value"], item["Version"]) for item in found] == [
        ("/labels/by-path/a", "one", 1)
    ]


def test_a_label_filter_leaves_out_a_parameter_without_the_label(served: LocalSsm) -> None:
    client = served.client()
    labelled_then_newer(client, "/labels/partial/a")
    client.put_parameter(Name="/labels/partial/b", Value="never labelled", Type="SecureString")
    found = client.get_parameters_by_path(Path="/labels/partial", Recursive=True, ParameterFilters=STABLE)
    assert [item["Name"] for item in found["Parameters"]] == ["/labels/partial/a"]


def test_a_label_selector_answers_the_labelled_version(served: LocalSsm) -> None:
    client = served.client()
    labelled_then_newer(client, "/labels/selector/a")
    found = client.get_parameters(Names=["/labels/selector/a:stable"], WithDecryption=True)["Parameters"]
    assert [(item["Value"], item["Version"]) for item in found] == [("one", 1)]


def test_a_fleet_pinned_to_a_label_keeps_its_value_when_a_newer_one_is_published(
    served: LocalSsm, project: Project
) -> None:
    os.environ.update(
        {**served.environment(), "CLARITY_USE_SSM": "true", "CLARITY_SSM_PREFIX": "/labels/fleet"}
    )
    client = served.client()
    client.put_parameter(Name="/labels/fleet/api_token", Value="pinned-token", Type="SecureString")
    CliRunner().invoke(main, ["ssm", "label", "stable", "--apply"], catch_exceptions=False)
    client.put_parameter(
        Name="/labels/fleet/api_token", Value="unreleased", Type="SecureString", Overwrite=True
    )
    os.environ["CLARITY_SSM_LABEL"] = "stable"
    assert project.settings().API_TOKEN == "pinned-token"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("/clarity/development/a;b", "ValidationException"),
        ("/clarity/development/a\nb", "ValidationException"),
        ("/clarity/development/a b", "ValidationException"),
        ("/clarity/development/café", "ValidationException"),
        ("clarity/development/a", "ValidationException"),
        ("/clarity//a", "ValidationException"),
        ("/clarity/a/", "ValidationException"),
        (LONGEST_NAME + "n", "ValidationException"),
        ("/" + "/".join(["level"] * 16), "HierarchyLevelLimitExceededException"),
    ],
    ids=["semicolon", "newline", "space", "non-ascii", "relative", "empty-level", "trailing", "long", "deep"],
)
def test_a_name_aws_refuses_is_refused_with_its_code(served: LocalSsm, name: str, code: str) -> None:
    with pytest.raises(ClientError) as caught:
        served.client().put_parameter(Name=name, Value="v", Type="String")
    assert caught.value.response["Error"]["Code"] == code


@pytest.mark.parametrize(
    "name",
    [LONGEST_NAME, "/" + "/".join(["limit"] * 15), "plain-name.v1"],
    ids=["longest", "deepest", "plain"],
)
def test_a_name_at_awss_limits_is_stored(served: LocalSsm, name: str) -> None:
    assert served.client().put_parameter(Name=name, Value="v", Type="String")["Version"] == 1


@pytest.mark.parametrize(
    ("tier", "size"), [("Standard", 4097), ("Advanced", 8193), ("Intelligent-Tiering", 8193)]
)
def test_a_value_over_its_tiers_size_is_refused(served: LocalSsm, tier: ParameterTierType, size: int) -> None:
    with pytest.raises(ClientError) as caught:
        served.client().put_parameter(
            Name=f"/values/over/{tier}",
            Value="x" * size,
            Type="SecureString",
            Tier=tier,
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize(
    ("tier", "size"), [("Standard", 4096), ("Advanced", 8192), ("Intelligent-Tiering", 8192)]
)
def test_a_value_within_its_tiers_size_is_stored(
    served: LocalSsm, tier: ParameterTierType, size: int
) -> None:
    stored = served.client().put_parameter(
        Name=f"/values/within/{tier}",
        Value="x" * size,
        Type="SecureString",
        Tier=tier,
    )
    assert stored["Version"] == 1


def test_an_advanced_parameter_keeps_its_size_when_overwritten_without_a_tier(served: LocalSsm) -> None:
    client = served.client()
    client.put_parameter(Name="/values/kept/advanced", Value="x" * 5000, Type="String", Tier="Advanced")
    again = client.put_parameter(
        Name="/values/kept/advanced", Value="y" * 5000, Type="String", Overwrite=True
    )
    assert again["Version"] == 2


def test_an_empty_value_is_refused(served: LocalSsm) -> None:
    with pytest.raises(ClientError) as caught:
        served.client().put_parameter(Name="/values/empty", Value="", Type="String")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
