"""Every Python block of the Secrets Configuration Guide, run verbatim (import path aside) against local SSM.

The guide lives beside the repository (../shared/seed/, as CI lays it out). Each block runs
statement by statement in one namespace; the tests change SSM between statements where the
guide's text says what a statement is for, and check that the statement did it.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from clarity_settings import get_secrets_manager, reset_secrets_manager
from tests.conftest import PRODUCTION_PREFIX, Ssm

GUIDE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "secrets-configuration-guide.md"
GUIDE_IMPORT = "from clarity.security.secrets_manager import get_secrets_manager"
OUR_IMPORT = "from clarity_settings import get_secrets_manager"
KEY = "production-model-signature-key-0001-abcdef"
ROTATED = [f"production-model-signature-key-{n:04d}-abcdef" for n in (2, 3)]


@dataclass(frozen=True)
class Block:
    """One fenced Python block and the heading it sits under."""

    heading: str
    source: str


def guide_blocks() -> list[Block]:
    """The guide's Python blocks, each under its nearest heading; the guide's absence fails, never skips."""
    if not GUIDE.is_file():
        pytest.fail(f"the Secrets Configuration Guide is not at {GUIDE} (shared/ beside the repository)")
    blocks: list[Block] = []
    heading = ""
    for match in _FENCE_OR_HEADING.finditer(GUIDE.read_text()):
        if match["heading"]:
            heading = match["heading"].strip()
        elif match["language"] == "python":
            blocks.append(Block(heading, match["code"]))
    return blocks


_FENCE_OR_HEADING = re.compile(
    r"^```(?P<language>\w*)\n(?P<code>.*?)^```$|^#+ (?P<heading>[^\n]+)$", re.MULTILINE | re.DOTALL
)
"""A fenced block (taken whole, so a comment inside one is no heading) or a heading line."""


@dataclass
class Run:
    """What running a block left: its namespace, its printed lines, and what the hooks recorded."""

    namespace: dict[str, Any] = field(default_factory=dict)
    printed: list[str] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)


Hook = Callable[[str, Run], None]


def run_block(block: Block, *, before: Hook | None = None, after: Hook | None = None) -> Run:
    """Run block's statements in order with our import in place of the guide's; hooks see each statement."""
    source = block.source.replace(GUIDE_IMPORT, OUR_IMPORT)
    assert OUR_IMPORT in source, "the block no longer imports the guide's module the way it did"
    run = Run()
    output = io.StringIO()
    for statement in ast.parse(source).body:
        text = ast.unparse(statement)
        if before:
            before(text, run)
        with contextlib.redirect_stdout(output):
            exec(compile(ast.Module([statement], []), str(GUIDE), "exec"), run.namespace)  # noqa: S102
        if after:
            after(text, run)
    run.printed = output.getvalue().splitlines()
    return run


def block_under(heading: str) -> Block:
    """The one Python block under heading."""
    (block,) = [block for block in guide_blocks() if block.heading == heading]
    return block


@pytest.fixture
def production_ssm(ssm: Ssm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ssm]:
    """The guide's production setup: SSM on under /clarity/production, both secrets put as its setup shows."""
    monkeypatch.chdir(tmp_path)
    os.environ.update(
        {
            "ENV_FOR_DYNACONF": "production",
            "CLARITY_USE_SSM": "true",
            "CLARITY_SSM_PREFIX": PRODUCTION_PREFIX,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    ssm.put(f"{PRODUCTION_PREFIX}/model_signature_key", KEY)
    ssm.put(f"{PRODUCTION_PREFIX}/expected_model_checksums", json.dumps(CHECKSUMS))
    reset_secrets_manager()
    yield ssm
    reset_secrets_manager()


CHECKSUMS = {
    "small": "4b30d57febbbc8ef221e4b196bf6957e7c7f366f6b836fe800a43f69d24694ad",
    "medium": "6175021ca1a43f3c834bdaa644c45f27817cf985d8ffd186fab9b5de2c4ca661",
    "large": "c93b723f297f0d9d2ad982320b75e9212882c8f38aa40df1b600e9b2b8aa1973",
}
"""The checksums the guide's own setup block puts."""


def test_every_python_block_of_the_guide_is_run_by_a_test_here() -> None:
    assert [block.heading for block in guide_blocks()] == ["Testing", "Cache Issues"]


def test_the_testing_block_says_the_key_and_all_three_checksums_are_configured(production_ssm: Ssm) -> None:
    run = run_block(block_under("Testing"))
    assert run.printed[1:] == ["Signature key configured: True", "Checksums configured: 3 models"]


def test_the_testing_block_reads_the_key_in_ssm(production_ssm: Ssm) -> None:
    run = run_block(block_under("Testing"))
    assert run.namespace["signature_key"] == KEY


def test_the_testing_block_reads_the_checksums_in_ssm(production_ssm: Ssm) -> None:
    run = run_block(block_under("Testing"))
    assert run.namespace["checksums"] == CHECKSUMS


def test_the_testing_block_prints_a_healthy_report(production_ssm: Ssm) -> None:
    run = run_block(block_under("Testing"))
    assert run.namespace["health"]["ssm_status"] == "healthy"


def test_the_testing_blocks_health_line_holds_no_secret(production_ssm: Ssm) -> None:
    run = run_block(block_under("Testing"))
    assert KEY not in run.printed[0]


def rotate_before_each_refresh(ssm: Ssm) -> Hook:
    """Put the next key in SSM just before each refresh_cache statement runs (the reason to call it)."""
    keys = iter(ROTATED)

    def rotate(statement: str, run: Run) -> None:
        if "refresh_cache" in statement:
            ssm.put(f"{PRODUCTION_PREFIX}/model_signature_key", next(keys))

    return rotate


def read_after_each_refresh(statement: str, run: Run) -> None:
    """The key the very next read returns, right after each refresh_cache statement."""
    if "refresh_cache" in statement:
        run.seen[statement] = get_secrets_manager().get_model_signature_key()


@pytest.mark.parametrize(
    ("statement", "rotated"),
    [("manager.refresh_cache('model_signature_key')", ROTATED[0]), ("manager.refresh_cache()", ROTATED[1])],
)
def test_a_refresh_as_the_guide_writes_it_returns_with_the_rotated_key_in_place(
    production_ssm: Ssm, statement: str, rotated: str
) -> None:
    get_secrets_manager().get_model_signature_key()
    run = run_block(
        block_under("Cache Issues"),
        before=rotate_before_each_refresh(production_ssm),
        after=read_after_each_refresh,
    )
    assert run.seen[statement] == rotated
