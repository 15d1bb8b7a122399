"""A real policy repository with a site, several releases, a rename, an upcoming release and a
release whose text holds hostile HTML; shared by the site and browser tests."""

from __future__ import annotations

from pathlib import Path

from .conftest import PolicyRepo, make_repo

MKDOCS = """\
site_name: Example policies
site_url: https://policies.example.com/
theme:
  name: material
  font: false
  features: [navigation.footer]
plugins:
  - search
  - notifier
markdown_extensions:
  - toc:
      permalink: true
  - admonition
nav:
  - Home: index.md
"""

HOME = "# Example policies\n\n<!-- notifier:policies -->\n"

BODY_1 = """\
## 1. Introduction

We explain how we handle your information.

## 2. Data Retention

- **Workflow Logs:** Retained for 30 days, then purged
- **Account Data:** Retained until account deletion

## 3. Contact

Write to [privacy@example.com](mailto:privacy@example.com).
"""

BODY_2 = BODY_1.replace("We explain how", "This policy explains how")
BODY_3 = BODY_2.replace("Retained for 30 days", "Retained for 90 days").replace(
    "## 3. Contact",
    "## 3. Sharing\n\nWe may share usage data with advertising partners.\n\n## 4. Contact",
)
HOSTILE = BODY_1.replace(
    "We explain how we handle your information.",
    'We explain how we handle your information. <script>alert("x")</script> '
    "<img src=x onerror=alert(1)> [click](javascript:alert(1))",
)


def build_site_repo(path: Path) -> PolicyRepo:
    """Releases: privacy 1.0, 1.1 (renamed file), 2.0 (material, upcoming); terms 1.0 (hostile)."""
    repo = make_repo(path)
    (path / "mkdocs.yml").write_text(MKDOCS, encoding="utf-8")
    repo.write("docs/index.md", HOME)
    repo.release(
        "privacy 1.0",
        relative="policy/privacy-policy.md",
        body=BODY_1,
        effective="2026-01-01",
        summary="First version.",
    )
    repo.repo.git.mv("policy/privacy-policy.md", "policy/privacy.md")
    repo.release(
        "privacy 1.1",
        version="1.1",
        change="editorial",
        body=BODY_2,
        effective="2026-02-01",
        summary="Clearer introduction.",
    )
    repo.release(
        "terms 1.0",
        relative="policy/terms.md",
        title="Terms <b>of</b> Service",
        body=HOSTILE,
        effective="2026-01-15",
        summary="Terms <img src=x onerror=alert(1)>",
    )
    repo.release(
        "privacy 2.0",
        version="2.0",
        change="material",
        body=BODY_3,
        effective="2099-01-01",
        summary="Workflow logs are kept for 90 days; usage data shared with partners.",
    )
    return repo
