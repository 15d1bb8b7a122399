"""Machine-readable outputs: Atom feeds, ``notices.json`` and each release's text as JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from xml.etree import ElementTree as ET

from notifier.frontmatter import ChangeClass
from notifier.parsing import parse_body
from notifier.releases import Release
from notifier.site.content import SiteContext, SiteFile, changes_dir, version_dir

ATOM = "http://www.w3.org/2005/Atom"
NOTICES_SCHEMA_VERSION = 1


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def version_texts(context: SiteContext, doc: str) -> list[SiteFile]:
    """``<doc>/<version>/text.json``: sections and blocks, for comparing in the browser."""
    files = []
    for release in context.history.of(doc):
        model = parse_body(release.document.body)
        sections = [
            {
                "heading": s.heading,
                "level": s.level,
                "anchor": s.anchor,
                "key": s.key,
                "blocks": [{"kind": b.kind, "text": b.text, "depth": b.depth} for b in s.blocks],
            }
            for s in model.sections
        ]
        data = {
            "document": doc,
            "version": str(release.version),
            "title": release.title,
            "effective_date": release.effective_date.isoformat(),
            "content_hash": release.content_hash,
            "sections": sections,
        }
        files.append(SiteFile(f"{version_dir(release)}text.json", _json(data)))
    return files


def notice(context: SiteContext, release: Release) -> dict[str, Any]:
    """What an application needs to show about one release."""
    return {
        "id": f"{release.doc_id}/{release.version}",
        "document": release.doc_id,
        "title": release.title,
        "version": str(release.version),
        "effective_date": release.effective_date.isoformat(),
        "class": release.change.value,
        "status": context.status(release),
        "summary": release.summary,
        "acknowledgement_required": release.change is ChangeClass.MATERIAL,
        "links": {
            "text": context.absolute(version_dir(release)),
            "redline": context.absolute(changes_dir(release)),
            "current": context.absolute(f"{release.doc_id}/"),
        },
        "content_hash": release.content_hash,
    }


def notices_file(context: SiteContext) -> SiteFile:
    """``notices.json``: for each policy, the release in effect and any upcoming ones."""
    notices = []
    for doc in context.history.documents:
        current = context.history.current(doc, context.today)
        shown = ([current] if current else []) + context.history.upcoming(doc, context.today)
        notices += [notice(context, release) for release in shown]
    data = {
        "schema_version": NOTICES_SCHEMA_VERSION,
        "generated_for": context.today.isoformat(),
        "notices": notices,
    }
    return SiteFile("notices.json", _json(data))


def feeds(context: SiteContext) -> list[SiteFile]:
    """``feed.xml`` (every release) and ``feed-material.xml`` (material releases only)."""
    releases = sorted(context.history.all(), key=lambda r: (r.date, r.doc_id), reverse=True)
    material = [r for r in releases if r.change is ChangeClass.MATERIAL]
    return [
        SiteFile("feed.xml", _atom(context, releases, "feed.xml", "Policy changes")),
        SiteFile(
            "feed-material.xml",
            _atom(context, material, "feed-material.xml", "Material policy changes"),
        ),
    ]


def _atom(context: SiteContext, releases: list[Release], path: str, title: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", context.absolute(path))
    _text(feed, "title", title)
    updated = max((r.date for r in releases), default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    _text(feed, "updated", updated.isoformat())
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=context.absolute(path))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=context.absolute("changes/"))
    for release in releases:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", context.absolute(version_dir(release)))
        _text(
            entry,
            "title",
            f"{release.title} {release.version} ({release.change.value}), "
            f"effective {release.effective_date.isoformat()}",
        )
        _text(entry, "updated", release.date.isoformat())
        _text(entry, "published", release.date.isoformat())
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(author, "name", release.author)
        ET.SubElement(
            entry, f"{{{ATOM}}}link", rel="alternate", href=context.absolute(changes_dir(release))
        )
        ET.SubElement(entry, f"{{{ATOM}}}category", term=release.change.value)
        _text(entry, "summary", release.summary)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True)) + b"\n"


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = text
