"""The HTML of each generated page. All policy-derived text is escaped or sanitized."""

from __future__ import annotations

import datetime as dt
from html import escape

from notifier.compare import Comparison
from notifier.notices import long_date
from notifier.redline import redline_html_sections
from notifier.releases import Release
from notifier.site.content import (
    SiteContext,
    SitePage,
    changes_dir,
    relative,
    version_dir,
)
from notifier.site.render import render_policy
from notifier.site.sanitize import sanitize_html

_CLASS_LABEL = {
    "none": "no change in wording",
    "editorial": "editorial change",
    "material": "material change",
    "initial": "first version",
}


def _date(day: dt.date) -> str:
    return f'<time datetime="{day.isoformat()}">{long_date(day)}</time>'


def _class_badge(release: Release) -> str:
    value = release.change.value
    return f'<span class="change-class {value}">{_CLASS_LABEL[value]}</span>'


def document_pages(context: SiteContext, doc: str) -> list[SitePage]:
    """The current page, the archive, the redlines, the history and the compare page."""
    releases = context.history.of(doc)
    pages = [current_page(context, doc), history_page(context, doc), compare_page(context, doc)]
    for release in releases:
        pages.append(archive_page(context, release))
        pages.append(changes_page(context, release))
    return pages


def _meta(context: SiteContext, release: Release, here: str) -> str:
    doc = release.doc_id
    links = [
        f'<a href="{relative(here, changes_dir(release))}">What changed in {release.version}</a>',
        f'<a href="{relative(here, f"{doc}/history/")}">All versions</a>',
        f'<a href="{relative(here, f"{doc}/compare/")}">Compare versions</a>',
    ]
    return (
        '<div class="policy-meta">'
        f"<p><strong>Version {escape(str(release.version))}</strong> · effective "
        f"{_date(release.effective_date)} · {_class_badge(release)}</p>"
        f'<p class="policy-summary">{escape(release.summary)}</p>'
        f'<p class="policy-links">{" · ".join(links)}</p>'
        f'<p class="policy-hash">SHA-256 of this text: <code>{release.content_hash}</code></p>'
        "</div>"
    )


def _upcoming_notice(context: SiteContext, release: Release, here: str) -> str:
    return (
        '<div class="admonition warning policy-upcoming">'
        f'<p class="admonition-title">This policy changes on {long_date(release.effective_date)}'
        "</p>"
        f"<p>Version {escape(str(release.version))} takes effect on "
        f"{_date(release.effective_date)}: {escape(release.summary)}</p>"
        f'<p><a href="{relative(here, version_dir(release))}">Read the new text</a> · '
        f'<a href="{relative(here, changes_dir(release))}">See what changes</a></p></div>'
    )


def current_page(context: SiteContext, doc: str) -> SitePage:
    """``<doc>/``: the text in effect today, and notice of any upcoming change."""
    here = f"{doc}/"
    current = context.history.current(doc, context.today)
    upcoming = context.history.upcoming(doc, context.today)
    shown = current or upcoming[0]
    notices = "".join(_upcoming_notice(context, release, here) for release in upcoming)
    rendered = render_policy(shown.document.body, shift=_shift(shown))
    body = _meta(context, shown, here) + notices + rendered.html
    return SitePage(f"{doc}/index.md", shown.title, sanitize_html(body), rendered.toc, True)


def _shift(release: Release) -> int:
    """Body headings start at level 2 under the page title (a body ``#`` becomes ``##``)."""
    return 1 if release.document.body.lstrip().startswith("# ") else 0


def archive_page(context: SiteContext, release: Release) -> SitePage:
    """``<doc>/<version>/``: one release as published, forever."""
    here = version_dir(release)
    status = context.status(release)
    state = {
        "current": "This is the version in effect today.",
        "upcoming": f"This version takes effect on {long_date(release.effective_date)}.",
        "superseded": "This version is no longer in effect.",
    }[status]
    current = context.history.current(release.doc_id, context.today)
    if status != "current" and current is not None:
        state += (
            f' <a href="{relative(here, f"{release.doc_id}/")}">Read the version in effect '
            "today</a>."
        )
    banner = f'<div class="admonition note policy-status {status}"><p>{state}</p></div>'
    rendered = render_policy(release.document.body, shift=_shift(release))
    body = banner + _meta(context, release, here) + rendered.html
    title = f"{release.title} {release.version}"
    return SitePage(f"{here}index.md", title, sanitize_html(body), rendered.toc)


def changes_page(context: SiteContext, release: Release) -> SitePage:
    """``<doc>/<version>/changes/``: the redline of a release against the one before it."""
    here = changes_dir(release)
    before = context.previous(release)
    comparison = context.comparison(release)
    against = (
        f'version <a href="{relative(here, version_dir(before))}">{escape(str(before.version))}</a>'
        if before
        else "nothing (first version)"
    )
    summary = (
        '<div class="policy-meta">'
        f'<p>Version <a href="{relative(here, version_dir(release))}">'
        f"{escape(str(release.version))}</a>, effective {_date(release.effective_date)}, "
        f"compared with {against}. Declared: {_class_badge(release)}; detected: "
        f'<span class="change-class {comparison.classification}">'
        f"{comparison.classification}</span>.</p>"
        f'<p class="policy-summary">{escape(release.summary)}</p>'
        f"{_material_list(comparison)}</div>"
    )
    toggle = (
        '<input type="checkbox" id="only-changed" class="only-changed-toggle">'
        '<label for="only-changed" class="only-changed-label">Show only the changed sections'
        "</label>"
        '<p class="redline-legend">Inserted text is <ins>underlined</ins>, deleted text is '
        "<del>struck through</del>.</p>"
    )
    redline = f'<div class="redline">{redline_html_sections(comparison)}</div>'
    title = f"{release.title} {release.version}: what changed"
    return SitePage(f"{here}index.md", title, sanitize_html(summary + toggle + redline))


def _material_list(comparison: Comparison) -> str:
    material = comparison.material_changes
    if not material:
        return "<p>No material change was detected.</p>"
    items = "".join(f"<li>{escape(reason)}</li>" for c in material for reason in c.reasons)
    return f'<p>Material changes:</p><ul class="material-changes">{items}</ul>'


def history_page(context: SiteContext, doc: str) -> SitePage:
    """``<doc>/history/``: every release, newest first."""
    here = f"{doc}/history/"
    rows = []
    for release in reversed(context.history.of(doc)):
        rows.append(
            f'<tr><td><a href="{relative(here, version_dir(release))}">'
            f"{escape(str(release.version))}</a></td><td>{_date(release.effective_date)}</td>"
            f"<td>{_class_badge(release)}</td><td>{context.status(release)}</td>"
            f"<td>{escape(release.summary)}</td>"
            f'<td><a href="{relative(here, changes_dir(release))}">changes</a></td></tr>'
        )
    title = context.history.of(doc)[-1].title
    table = (
        '<table class="policy-history"><thead><tr><th>Version</th><th>Effective</th>'
        "<th>Change</th><th>Status</th><th>Summary</th><th>Redline</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    feeds = (
        f'<p>Follow changes: <a href="{relative(here, "feed.xml")}">all releases</a> · '
        f'<a href="{relative(here, "feed-material.xml")}">material changes only</a>.</p>'
    )
    return SitePage(f"{here}index.md", f"{title}: history", sanitize_html(table + feeds), (), True)


def compare_page(context: SiteContext, doc: str) -> SitePage:
    """``<doc>/compare/``: choose any two releases; the comparison runs in the browser."""
    releases = list(reversed(context.history.of(doc)))
    options = "".join(
        f'<option value="{escape(str(r.version))}">{escape(str(r.version))} '
        f"({long_date(r.effective_date)})</option>"
        for r in releases
    )
    older = releases[1] if len(releases) > 1 else releases[0]
    old_options = options.replace(
        f'value="{escape(str(older.version))}"', f'value="{escape(str(older.version))}" selected', 1
    )
    form = (
        f'<div class="policy-compare" data-notifier-compare="" data-document="{escape(doc)}">'
        '<p><label for="compare-old">From</label> '
        f'<select id="compare-old" name="old">{old_options}</select> '
        '<label for="compare-new">to</label> '
        f'<select id="compare-new" name="new">{options}</select> '
        '<button type="button" class="md-button md-button--primary compare-run">Compare'
        "</button></p>"
        '<div class="compare-result" aria-live="polite"></div>'
        '<p class="compare-fallback">The comparison runs in your browser. Each release also has a '
        'ready-made redline against the one before it on the <a href="../history/">history</a> '
        "page.</p></div>"
    )
    title = f"{releases[0].title}: compare versions"
    return SitePage(f"{doc}/compare/index.md", title, sanitize_html(form))


def changelog_page(context: SiteContext) -> SitePage:
    """``changes/``: every release of every policy, newest first."""
    here = "changes/"
    releases = sorted(context.history.all(), key=lambda r: (r.effective_date, r.date), reverse=True)
    items = []
    for release in releases:
        items.append(
            f"<li><p>{_date(release.effective_date)}: "
            f'<a href="{relative(here, version_dir(release))}">'
            f"{escape(release.title)} {escape(str(release.version))}</a> "
            f"{_class_badge(release)} ({context.status(release)}) · "
            f'<a href="{relative(here, changes_dir(release))}">what changed</a></p>'
            f"<p>{escape(release.summary)}</p></li>"
        )
    feeds = (
        f'<p>Also as feeds: <a href="{relative(here, "feed.xml")}">all releases</a> · '
        f'<a href="{relative(here, "feed-material.xml")}">material changes only</a> · '
        f'<a href="{relative(here, "notices.json")}">notices.json</a>.</p>'
    )
    body = f'<ul class="changelog">{"".join(items)}</ul>{feeds}'
    return SitePage("changes/index.md", "Changelog", sanitize_html(body), (), True)
