"""Everything the public site publishes, built from the release history (no mkdocs here).

:func:`build_site` returns pages (title and sanitized HTML) and files (feeds, JSON, assets) at
fixed paths, so that links never break and another site generator could publish the same:

- ``<doc>/``: the text in effect today; ``<doc>/<version>/``: every release, archived;
- ``<doc>/<version>/changes/``: the redline of a release against the one before;
- ``<doc>/history/``, ``<doc>/compare/`` and ``changes/`` (the changelog of all policies);
- ``feed.xml``, ``feed-material.xml``, ``notices.json`` and ``<doc>/<version>/text.json``.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources

from notifier.compare import Comparison, compare
from notifier.releases import Release, ReleaseHistory
from notifier.site.render import TocEntry
from notifier.vocabulary import Vocabulary

ASSET_DIR = "assets/notifier"
STYLESHEET = f"{ASSET_DIR}/notifier.css"
SCRIPT = f"{ASSET_DIR}/notifier-compare.js"
BANNER = f"{ASSET_DIR}/policy-notice.js"  # for applications to include; not used by the site


@dataclass(frozen=True)
class SitePage:
    """A generated page: where it goes, its title and its (sanitized) HTML body."""

    path: str  # source path, e.g. "privacy/1.0/index.md"; published at its folder's URL
    title: str
    html: str
    toc: tuple[TocEntry, ...] = ()
    in_nav: bool = False

    @property
    def url_dir(self) -> str:
        """The page's URL relative to the site root, as a folder (``privacy/1.0/``)."""
        folder = posixpath.dirname(self.path)
        return f"{folder}/" if folder else ""


@dataclass(frozen=True)
class SiteFile:
    """A generated file published as it is (feed, JSON, stylesheet, script)."""

    path: str
    content: bytes


@dataclass(frozen=True)
class SiteContent:
    """All generated pages and files of one build."""

    pages: list[SitePage] = field(default_factory=list)
    files: list[SiteFile] = field(default_factory=list)


@dataclass(frozen=True)
class SiteContext:
    """What the pages need: the history, the day the site is built for, and the site's URL."""

    history: ReleaseHistory
    today: dt.date
    site_url: str = ""
    vocabulary: Vocabulary = field(default_factory=Vocabulary.default)

    @cached_property
    def _comparisons(self) -> dict[tuple[str, str], Comparison]:
        return {}

    def previous(self, release: Release) -> Release | None:
        """The release before ``release`` of the same document."""
        releases = self.history.of(release.doc_id)
        index = next(i for i, r in enumerate(releases) if r.commit == release.commit)
        return releases[index - 1] if index else None

    def comparison(self, release: Release) -> Comparison:
        """``release`` against the one before it (against nothing for a first release)."""
        key = (release.doc_id, str(release.version))
        if key not in self._comparisons:
            before = self.previous(release)
            old = before.document.body if before else ""
            self._comparisons[key] = compare(old, release.document.body, vocabulary=self.vocabulary)
        return self._comparisons[key]

    def status(self, release: Release) -> str:
        """``current``, ``upcoming`` or ``superseded`` on the build day."""
        return self.history.status(release, self.today)

    def absolute(self, path: str) -> str:
        """A site path as an absolute URL when the site URL is known (feeds need them)."""
        return self.site_url.rstrip("/") + "/" + path if self.site_url else "/" + path


def version_dir(release: Release) -> str:
    """``privacy/1.0/``."""
    return f"{release.doc_id}/{release.version}/"


def changes_dir(release: Release) -> str:
    """``privacy/1.0/changes/``."""
    return f"{version_dir(release)}changes/"


def relative(from_dir: str, to: str) -> str:
    """A link from the page at folder ``from_dir`` to ``to`` (a folder ending in / or a file).

    Relative links keep working wherever the site is hosted (a domain or a sub-path)."""
    target = posixpath.relpath(to or ".", from_dir or ".")
    if to.endswith("/") or not to:
        return "./" if target == "." else target + "/"
    return target


def build_site(context: SiteContext) -> SiteContent:
    """Every page and file of the site for ``context``."""
    from notifier.site import feeds, pages

    content = SiteContent()
    for doc in context.history.documents:
        content.pages.extend(pages.document_pages(context, doc))
        content.files.extend(feeds.version_texts(context, doc))
    content.pages.append(pages.changelog_page(context))
    content.files.extend(feeds.feeds(context))
    content.files.append(feeds.notices_file(context))
    content.files.extend(_assets())
    return content


def _assets() -> list[SiteFile]:
    folder = resources.files("notifier.site").joinpath("assets")
    return [
        SiteFile(STYLESHEET, folder.joinpath("notifier.css").read_bytes()),
        SiteFile(SCRIPT, folder.joinpath("notifier-compare.js").read_bytes()),
        SiteFile(BANNER, folder.joinpath("policy-notice.js").read_bytes()),
    ]
