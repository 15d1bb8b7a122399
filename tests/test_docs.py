"""The documentation keeps up with the code: commands, options, keys, problem codes; it builds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from notifier.cli import cli
from notifier.config import OPTIONS
from notifier.config_reference import generated_block
from notifier.frontmatter import FIELDS
from notifier.problems import PROBLEM_CODES

from .conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"


def all_docs() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md")))


def test_every_command_and_option_is_documented() -> None:
    reference = (DOCS / "reference/cli.md").read_text(encoding="utf-8")
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        heading = f"## `notifier {name}`"
        assert heading in reference, f"notifier {name} is not documented"
        section = reference.split(heading, 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if isinstance(param, click.Option):
                for option in param.opts:
                    if option.startswith("--") and option != "--help":
                        assert option in section, f"{option} of notifier {name} is undocumented"


def test_every_configuration_key_is_documented() -> None:
    reference = (DOCS / "reference/configuration.md").read_text(encoding="utf-8")
    for option in OPTIONS:
        assert f"| `{option.key}` |" in reference, option.key
    assert generated_block() in reference, (
        "the configuration table differs from the code: run "
        "`python -m notifier.config_reference --write`"
    )


def test_every_front_matter_key_and_problem_code_is_documented() -> None:
    text = all_docs()
    for field in FIELDS:
        assert f"| `{field.key}` |" in text, field.key
    for code in PROBLEM_CODES:
        assert f"| `{code}` |" in text, code


def test_site_builds_strict(tmp_path: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site/editors/check/index.html").is_file()


def test_api_examples_run() -> None:
    """The Python examples of the API page run as written (docs tested)."""
    import re

    page = (DOCS / "reference/api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert blocks
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/reference/api.md", "exec"), namespace)


def test_every_topic_is_documented() -> None:
    from notifier.vocabulary import DEFAULT_TOPICS

    page = (DOCS / "editors/classification.md").read_text(encoding="utf-8")
    for topic in DEFAULT_TOPICS:
        assert f"| {topic} |" in page, topic


def test_token_example_mints_tokens_the_api_accepts() -> None:
    """The Python token example of the developer guide works with the API's verification."""
    import re
    import time

    from notifier.web.tokens import TokenSettings, verify_token

    page = (DOCS / "developers/in-app-notices.md").read_text(encoding="utf-8")
    namespace: dict[str, object] = {}
    exec(re.findall(r"```python\n(.*?)```", page, re.S)[0], namespace)
    secret = "x" * 40
    token = namespace["policy_token"]("user-42", int(time.time()) - 86400, secret)  # type: ignore[operator]
    user = verify_token(token, TokenSettings(secret))
    assert user.user_id == "user-42" and user.created_at is not None
