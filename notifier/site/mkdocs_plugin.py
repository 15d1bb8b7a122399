"""The ``notifier`` mkdocs plugin: adapts :func:`notifier.site.content.build_site` to mkdocs hooks.

All pages are produced by the library; this module only registers them as files, puts the main
ones in the navigation, and hands mkdocs their HTML (mkdocs does not render their Markdown, so a
policy is rendered once, by the same CommonMark parser the diff uses).
"""

from __future__ import annotations

import json
import logging
from html import escape
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from notifier.errors import NotifierError
from notifier.site.content import SCRIPT, STYLESHEET, SiteContent, SitePage, relative
from notifier.site.render import TocEntry

log = logging.getLogger("mkdocs.plugins.notifier")

PAGE_MARK = "<!-- notifier:page -->"
POLICIES_MARK = "<!-- notifier:policies -->"


class NotifierPluginConfig(base.Config):
    """``plugins: - notifier:`` options in ``mkdocs.yml``."""

    repository = c.Optional(c.Type(str))
    ref = c.Optional(c.Type(str))
    nav_title = c.Type(str, default="Policies")


class NotifierPlugin(BasePlugin[NotifierPluginConfig]):
    """Publishes every release of every policy, redlines, history, changelog and feeds."""

    def __init__(self) -> None:
        self.content = SiteContent()
        self.pages: dict[str, SitePage] = {}

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not config.use_directory_urls:
            raise PluginError(
                "notifier: the policy URLs (/<doc>/<version>/) need "
                "`use_directory_urls: true` in mkdocs.yml."
            )
        for key, asset in (("extra_css", STYLESHEET), ("extra_javascript", SCRIPT)):
            if asset not in [str(item) for item in config[key]]:
                config[key].append(asset)
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        self.content = self._build(config)
        self.pages = {page.path: page for page in self.content.pages}
        for page in self.content.pages:
            inclusion = InclusionLevel.INCLUDED if page.in_nav else InclusionLevel.NOT_IN_NAV
            # mkdocs themes insert titles into HTML unescaped; policy titles are outside input.
            source = f"---\ntitle: {json.dumps(escape(page.title))}\n---\n\n{PAGE_MARK}\n"
            files.append(File.generated(config, page.path, content=source, inclusion=inclusion))
        for site_file in self.content.files:
            files.append(File.generated(config, site_file.path, content=site_file.content))
        if config.nav is not None:
            config.nav.append({self.config.nav_title: self._nav()})
        return files

    def _build(self, config: MkDocsConfig) -> SiteContent:
        from notifier import clock
        from notifier.site.content import SiteContext, build_site
        from notifier.workspace import read_history

        repository = Path(self.config.repository or Path(config.config_file_path).parent)
        try:
            view = read_history(repository, ref=self.config.ref)
        except NotifierError as error:
            raise PluginError(f"notifier: {error.message}") from None
        for problem in view.history.problems:
            log.warning(f"{problem.location}: {problem.message} {problem.fix}")
        context = SiteContext(
            view.history,
            clock.today(),
            site_url=config.site_url or view.settings.site_url,
            vocabulary=view.settings.classify.vocabulary(),
        )
        return build_site(context)

    def _nav(self) -> list[Any]:
        entries: list[Any] = [
            {escape(page.title): page.path}
            for page in self.content.pages
            if page.in_nav and page.path != "changes/index.md"
        ]
        entries.append({"Changelog": "changes/index.md"})
        return entries

    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        generated = self.pages.get(page.file.src_uri)
        if generated is not None:
            page.toc = get_toc(_toc_tokens(generated.toc))
            return f"<h1>{escape(generated.title)}</h1>\n{generated.html}"
        if POLICIES_MARK in html:
            return html.replace(POLICIES_MARK, self._policy_list(page))
        return html

    def _policy_list(self, page: Page) -> str:
        here = page.file.url if page.file.url.endswith("/") else ""
        items = [
            f'<li><a href="{relative(here, p.url_dir)}">{escape(p.title)}</a></li>'
            for p in self.content.pages
            if p.in_nav
            and p.path.count("/") == 1
            and p.path.endswith("/index.md")
            and p.path != "changes/index.md"
        ]
        return f'<ul class="policy-list">{"".join(items)}</ul>'


def _toc_tokens(entries: tuple[TocEntry, ...]) -> list[Any]:
    """Nested toc tokens (as the Markdown ``toc`` extension makes them) from flat headings."""
    root: list[Any] = []
    stack: list[tuple[int, list[Any]]] = [(0, root)]
    for entry in entries:
        while stack[-1][0] >= entry.level:
            stack.pop()
        children: list[Any] = []
        token = {
            "level": entry.level,
            "id": entry.anchor,
            "name": escape(entry.title),
            "children": children,
        }
        stack[-1][1].append(token)
        stack.append((entry.level, children))
    return root
