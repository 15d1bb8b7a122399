"""Rendering of command results as text (terminal), Markdown (PR comments) and JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from notifier.check import CheckReport, DocumentStatus
from notifier.escape import markdown_escape
from notifier.history import ReleaseHistory, TagAction
from notifier.problems import Problem


def to_json(data: Any) -> str:
    """Stable, readable JSON."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def check_text(report: CheckReport) -> str:
    """A terminal report: one line per document, then one block per problem."""
    base = f"{report.base_ref} @ {(report.base_commit or '')[:12]}"
    lines = [
        f"notifier check against {base} (today {report.today}, "
        f"notice period {report.notice_period_days} days)"
    ]
    for document in report.documents:
        lines.append(f"  {_document_line(document)}")
        lines += [f"      - {reason}" for reason in document.reasons]
    if report.notices:
        lines.append(f"{len(report.notices)} notice(s):")
        lines += [_problem_text(problem) for problem in report.notices]
    if report.ok:
        lines.append("OK: no problems.")
        return "\n".join(lines) + "\n"
    lines.append(f"{len(report.errors)} problem(s):")
    lines += [_problem_text(problem) for problem in report.errors]
    return "\n".join(lines) + "\n"


def _problem_text(problem: Problem) -> str:
    key = f" [{problem.key}]" if problem.key else ""
    return f"{problem.location}:{key} {problem.message}\n    fix: {problem.fix}"


def _document_line(d: DocumentStatus) -> str:
    detected = f", detected {d.detected}" if d.detected else ""
    if d.state == "release":
        return f"{d.doc_id}: new release {d.base_version} -> {d.version} ({d.change}{detected})"
    if d.state == "new":
        return f"{d.doc_id}: first release {d.version} ({d.change})"
    version = d.version or d.base_version
    return f"{d.doc_id}: {d.state}" + (f" ({version}{detected})" if version else "")


def check_markdown(report: CheckReport) -> str:
    """A Markdown report for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""
    verdict = "passed" if report.ok else f"found {len(report.errors)} problem(s)"
    lines = [
        f"## Policy check {verdict}",
        "",
        f"Compared with `{report.base_ref}` (`{(report.base_commit or '')[:12]}`) on "
        f"{report.today}; notice period for material changes: "
        f"{report.notice_period_days} days.",
        "",
        "| Policy | State | Released | This branch | Declared | Detected | Effective |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in report.documents:
        lines.append(
            f"| `{d.doc_id}` | {d.state} | {d.base_version or '-'} | {d.version or '-'} "
            f"| {d.change or '-'} | {d.detected or '-'} | {d.effective_date or '-'} |"
        )
    for d in report.documents:
        if d.reasons:
            lines += ["", f"**Why `{d.doc_id}` looks {d.detected}:**", ""]
            lines += [f"- {markdown_escape(reason)}" for reason in d.reasons]
    for title, problems in (("Notices", report.notices), ("Problems", report.errors)):
        if problems:
            lines += ["", f"### {title}", ""]
            lines += [
                f"- **{markdown_escape(p.location)}**{_key(p)}: {markdown_escape(p.message)}"
                f"  \n  *Fix:* {markdown_escape(p.fix)}"
                for p in problems
            ]
    return "\n".join(lines) + "\n"


def _key(problem: Problem) -> str:
    return f" ({markdown_escape(problem.key)})" if problem.key else ""


def history_text(history: ReleaseHistory, today: dt.date, doc: str | None) -> str:
    """Releases per document, newest last, with their status today."""
    lines: list[str] = []
    for doc_id in [doc] if doc else history.documents:
        releases = history.of(doc_id)
        title = releases[-1].title if releases else doc_id
        lines.append(f"{doc_id}: {title} ({len(releases)} release(s))")
        for r in releases:
            lines.append(
                f"  {r.version!s:<10} effective {r.effective_date}  "
                f"{r.change.value:<9} {history.status(r, today):<10} "
                f"{r.commit[:12]} {r.date.date()} {r.author}"
            )
            lines.append(f"             {r.summary}")
    lines += [f"warning: {_problem_text(problem)}" for problem in history.problems]
    return "\n".join(lines) + "\n"


def history_json(history: ReleaseHistory, today: dt.date, doc: str | None) -> str:
    """Releases as JSON: ``{"ref", "commit", "documents": {doc: [release...]}, "problems"}``."""
    documents = {
        doc_id: [dict(r.to_dict(), status=history.status(r, today)) for r in history.of(doc_id)]
        for doc_id in ([doc] if doc else history.documents)
    }
    return to_json(
        {
            "ref": history.ref,
            "commit": history.commit,
            "today": today.isoformat(),
            "documents": documents,
            "problems": [problem.to_dict() for problem in history.problems],
        }
    )


def tags_text(actions: list[TagAction]) -> str:
    """One line per release tag."""
    if not actions:
        return "No releases to tag.\n"
    return "".join(f"{a.action:<13} {a.name} -> {a.commit[:12]}\n" for a in actions)


def tags_json(actions: list[TagAction]) -> str:
    """Tag actions as JSON."""
    return to_json([a.__dict__ for a in actions])
