"""A comparison rendered for people: a terminal redline, Markdown for pull requests, and HTML.

Deleted words are marked ``[-like this-]`` and inserted words ``{+like this+}`` in text, and with
``<del>``/``<ins>`` in HTML: never by colour alone. Every piece of policy text is escaped for the
format it lands in.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

import click

from notifier.changes import WordOp
from notifier.compare import ClassifiedChange, Comparison
from notifier.diff import BlockDiff, SectionDiff
from notifier.escape import markdown_escape as _md
from notifier.model import Block
from notifier.text import spacing


@dataclass(frozen=True)
class Piece:
    """A run of words of a redline: ``equal``, ``delete`` or ``insert``, and its leading space."""

    kind: str
    text: str
    space: bool


def block_pieces(block: BlockDiff) -> list[Piece]:
    """The words of one aligned block as runs of equal, deleted and inserted text."""
    old_flags = block.old.spacing if block.old else ()
    new_flags = block.new.spacing if block.new else ()
    return ops_pieces(block.ops, old_flags, new_flags)


def heading_pieces(section: SectionDiff) -> list[Piece]:
    """The words of a section's heading as runs of equal, deleted and inserted text."""
    old_flags = spacing(section.old.heading) if section.old else ()
    new_flags = spacing(section.new.heading) if section.new else ()
    return ops_pieces(section.heading_ops, old_flags, new_flags)


def ops_pieces(
    ops: tuple[WordOp, ...], old_flags: tuple[bool, ...], new_flags: tuple[bool, ...]
) -> list[Piece]:
    """Word operations as runs of text, with the spacing of the original texts."""
    pieces: list[Piece] = []
    i = j = 0
    for op in ops:
        if op.op == "equal":
            pieces.append(_piece("equal", op.new, new_flags[j : j + len(op.new)]))
        if op.op in ("delete", "replace"):
            pieces.append(_piece("delete", op.old, old_flags[i : i + len(op.old)]))
        if op.op in ("insert", "replace"):
            inserted = _piece("insert", op.new, new_flags[j : j + len(op.new)])
            # A replacement reads "[-30-]{+90+}": the space belongs before the deletion.
            pieces.append(Piece("insert", inserted.text, inserted.space and op.op == "insert"))
        i += len(op.old)
        j += len(op.new)
    return [piece for piece in pieces if piece.text]


def _piece(kind: str, words: tuple[str, ...], flags: tuple[bool, ...]) -> Piece:
    text = "".join(
        (" " if flag and index else "") + word
        for index, (word, flag) in enumerate(zip(words, flags, strict=True))
    )
    return Piece(kind, text, bool(flags and flags[0]))


def changed_sections(comparison: Comparison) -> Iterator[SectionDiff]:
    """The sections with something changed, in the new document's order."""
    return (section for section in comparison.sections if section.changed)


def _summary_counts(comparison: Comparison) -> str:
    counts = comparison.to_dict()["counts"]
    return ", ".join(f"{counts[name]} {name}" for name in ("material", "editorial", "none"))


# -- text -------------------------------------------------------------------------------------


def redline_text(comparison: Comparison, *, colour: bool) -> str:
    """A terminal redline of the changed sections, then every change with its class."""
    lines = [f"Classification: {comparison.classification} ({_summary_counts(comparison)})"]
    for section in changed_sections(comparison):
        lines += ["", _heading_text(section, colour)]
        lines += [
            f"  {_block_prefix(b)}{_pieces_text(block_pieces(b), colour)}"
            for b in section.blocks
            if b.changed
        ]
    if comparison.changes:
        lines += ["", "Changes:"]
        lines += [_change_line(change, colour) for change in comparison.changes]
    return "\n".join(lines) + "\n"


def _heading_text(section: SectionDiff, colour: bool) -> str:
    old, new = section.old, section.new
    if old is None or new is None:
        title = (new or old).title  # type: ignore[union-attr]
        mark = "added" if old is None else "removed"
        return click.style(f"## {title} ({mark})", bold=True) if colour else f"## {title} ({mark})"
    title = new.title if old.heading == new.heading else f"{old.title} -> {new.title}"
    text = f"## {title}" + (" (moved)" if section.moved else "")
    return click.style(text, bold=True) if colour else text


def _block_prefix(block: BlockDiff) -> str:
    shown = block.new or block.old
    assert shown is not None
    return "  " * shown.depth + ("- " if shown.kind == "item" else "")


def _pieces_text(pieces: list[Piece], colour: bool) -> str:
    out: list[str] = []
    for piece in pieces:
        space = " " if piece.space and out else ""
        if piece.kind == "equal":
            out.append(space + piece.text)
        elif piece.kind == "delete":
            marked = f"[-{piece.text}-]"
            out.append(
                space + (click.style(marked, fg="red", strikethrough=True) if colour else marked)
            )
        else:
            marked = f"{{+{piece.text}+}}"
            out.append(
                space + (click.style(marked, fg="green", underline=True) if colour else marked)
            )
    return "".join(out)


def _change_line(change: ClassifiedChange, colour: bool) -> str:
    label = f"{change.classification.value:<9}"
    if colour:
        label = click.style(
            label,
            fg={"material": "red", "editorial": "yellow"}.get(change.classification.value, "white"),
            bold=True,
        )
    return f"  {label} {change.kind.value}: " + "; ".join(change.reasons)


# -- Markdown ---------------------------------------------------------------------------------


def redline_markdown(comparison: Comparison) -> str:
    """A Markdown report for a pull request: the changes with reasons, then the redline."""
    lines = [f"## Change: {comparison.classification}", "", _summary_counts(comparison), ""]
    if comparison.changes:
        lines += ["| Class | Kind | Section | Reasons |", "|---|---|---|---|"]
        lines += [
            f"| {c.classification.value} | {c.kind.value} | {_md(c.section)} | "
            f"{'<br>'.join(_md(r) for r in c.reasons)} |"
            for c in comparison.changes
        ]
    for section in changed_sections(comparison):
        lines += ["", f"### {_md(_plain_title(section))}", ""]
        lines += [f"- {_pieces_markdown(block_pieces(b))}" for b in section.blocks if b.changed]
    return "\n".join(lines) + "\n"


def _plain_title(section: SectionDiff) -> str:
    shown = section.new or section.old
    assert shown is not None
    return shown.title


def _pieces_markdown(pieces: list[Piece]) -> str:
    wrap = {"equal": "{}", "delete": "~~{}~~", "insert": "**{}**"}
    out: list[str] = []
    for piece in pieces:
        space = " " if piece.space and out else ""
        out.append(space + wrap[piece.kind].format(_md(piece.text)))
    return "".join(out)


# -- HTML -------------------------------------------------------------------------------------


def redline_html_sections(comparison: Comparison, *, only_changed: bool = False) -> str:
    """The redline as HTML sections (escaped text, ``<del>``/``<ins>``), for pages and e-mail."""
    parts = []
    for section in comparison.sections:
        if only_changed and not section.changed:
            continue
        parts.append(_section_html(section))
    return "\n".join(parts)


def _section_html(section: SectionDiff) -> str:
    shown = section.new or section.old
    assert shown is not None
    state = (
        "added"
        if section.old is None
        else "removed"
        if section.new is None
        else ("changed" if section.changed else "unchanged")
    )
    level = min(max(shown.level, 2), 6)
    heading = _heading_html(section)
    body = _blocks_html(section.blocks)
    anchor = html.escape(shown.anchor, quote=True)
    return (
        f'<section class="redline-section {state}" data-state="{state}" id="{anchor}">\n'
        f"<h{level}>{heading}</h{level}>\n{body}\n</section>"
    )


def _heading_html(section: SectionDiff) -> str:
    return _pieces_html(heading_pieces(section))


def _blocks_html(blocks: tuple[BlockDiff, ...]) -> str:
    """Blocks as HTML; consecutive list items share one list."""
    out: list[str] = []
    in_list = False
    for block in blocks:
        shown = block.new or block.old
        assert shown is not None
        if (shown.kind == "item") != in_list:
            out.append("<ul>" if not in_list else "</ul>")
            in_list = not in_list
        out.append(_block_html(block, shown))
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _block_html(block: BlockDiff, shown: Block) -> str:
    if block.old is None:
        state = "added"
    elif block.new is None:
        state = "removed"
    else:
        state = "changed" if block.changed else "unchanged"
    tag = {"item": "li", "code": "pre"}.get(shown.kind, "p")
    depth = f" depth-{min(shown.depth, 6)}" if shown.depth else ""
    inner = _pieces_html(block_pieces(block))
    return f'<{tag} class="{shown.kind} {state}{depth}">{inner}</{tag}>'


def _pieces_html(pieces: list[Piece]) -> str:
    out: list[str] = []
    for piece in pieces:
        space = " " if piece.space and out else ""
        text = html.escape(piece.text)
        wrapped = {"delete": f"<del>{text}</del>", "insert": f"<ins>{text}</ins>"}.get(
            piece.kind, text
        )
        out.append(space + wrapped)
    return "".join(out)


def redline_html_page(comparison: Comparison, *, title: str) -> str:
    """A standalone HTML page: summary, reasons, and the full redline (no external resources)."""
    rows = "\n".join(_change_row_html(change) for change in comparison.changes)
    return _PAGE.format(
        title=html.escape(title),
        classification=comparison.classification,
        counts=html.escape(_summary_counts(comparison)),
        rows=rows,
        body=redline_html_sections(comparison),
    )


def _change_row_html(change: ClassifiedChange) -> str:
    reasons = "<br>".join(html.escape(reason) for reason in change.reasons)
    return (
        f"<tr><td>{change.classification.value}</td><td>{change.kind.value}</td>"
        f"<td>{html.escape(change.section)}</td><td>{reasons}</td></tr>"
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }}
ins {{ background: #d4f7d4; text-decoration: underline; }}
del {{ background: #fbd3d3; text-decoration: line-through; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .3em .5em; }}
section.unchanged {{ color: #555; }}
</style></head>
<body>
<h1>{title}</h1>
<p>Classification: <strong>{classification}</strong> ({counts})</p>
<table><tr><th>Class</th><th>Kind</th><th>Section</th><th>Reasons</th></tr>
{rows}
</table>
{body}
</body></html>
"""
