"""Parsing policy Markdown into a :class:`~notifier.model.DocumentModel`.

The token tree comes from markdown-it (CommonMark) through its Rust port, so what is found is
what a reader's browser will get, not what a regular expression guesses.

Two things make comparing many versions cheap. Each top-level element is read into blocks once
and remembered by its source text. And a new version is parsed *relative to the previous one*:
CommonMark's block structure is decided line by line, front to back, so the top-level elements
before the first changed line are the same in both versions, but for the last of them (a table
is known by its second line, and may end the paragraph before it); after the change, parsing
stops as soon as it reaches, in the unchanged tail, an element boundary that the previous version
also had at the same text, since from an element boundary on, identical text parses identically.
Reference-style link definitions are global to a document (a part parsed alone would not see
those outside it, and whether a line defines anything depends on what surrounds it), so a
version that may have any is parsed whole, its elements read afresh. The units are the
top-level elements and, since a whole policy may be one long numbered list, each item of a
top-level list (an item's text does not depend on the items around it, tight list or loose).
Tests check that the relative parse equals the full parse on every corpus pair and on random
edits.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import markdown_it_pyrs
from rapidfuzz.distance import Indel

from notifier.assembly import assemble
from notifier.elements import ElementReader, clear_row_cache
from notifier.errors import PolicyError
from notifier.model import (
    DocumentModel,
    ElementContent,
    SourceMap,
    SourceNode,
    clear_heading_caches,
)

_LISTS = frozenset({"bullet_list", "ordered_list"})
_CONTENT_CACHE_LIMIT = 50_000
# Enough for a history compared one pair after another (each version is compared twice, with
# the one before and the one after it). A model kept longer lives through more of the cyclic
# collector's passes: four instead of sixteen made a pass over the corpus 3% faster.
_MODEL_CACHE_SIZE = 4
_SYNC_ATTEMPTS = 3
_tuple = tuple.__new__
# What a link reference definition holds ("[label]: url"). A regular expression finds it three
# times as fast as ``"]:" in body`` (15 against 48 microseconds through a 55 KB policy).
_DEFINITION_MARK = re.compile(r"\]:")
T = TypeVar("T")

_contents: dict[tuple[str, bytes, str], ElementContent] = {}
# Keyed by a short fingerprint of the body (see _model_key), holding the body to confirm a hit.
_models: OrderedDict[tuple[int, str, str], tuple[str, DocumentModel]] = OrderedDict()


def clear_caches() -> None:
    """Forget every parsed version and element (for measuring a cold start)."""
    _contents.clear()
    _models.clear()
    clear_row_cache()
    clear_heading_caches()


@lru_cache(maxsize=1)
def _parser() -> Any:
    return markdown_it_pyrs.MarkdownIt("commonmark").enable("table")


def _tree(source: str, line_starts: list[int], offset: int) -> Any:
    """markdown-it's token tree of ``source`` (which starts at byte ``offset`` of the body)."""
    first_line = bisect.bisect_right(line_starts, offset)
    return run_markdown_it(_parser().tree, source, first_line=first_line)


def run_markdown_it(call: Callable[[str], T], source: str, *, first_line: int = 1) -> T:
    """``call(source)``, ``call`` being markdown-it's (Rust port's) tree or render, whose panic
    becomes a :class:`PolicyError` naming the line (``source`` starting at ``first_line`` of
    the policy's body)."""
    try:
        return call(source)
    except BaseException as error:  # a panic of the Rust parser is a BaseException
        if not _is_panic(error):
            raise
        line = first_line + _first_failing_line(call, source) - 1
        raise PolicyError(
            "the Markdown parser (markdown-it) fails on this text",
            where=f"line {line} of the policy's body, the first line after the front matter "
            "being 1",
            fix="It is known to fail where a '[' is followed by a backtick that is never "
            "closed: close the code span, or write \\` for a backtick",
        ) from error


def _first_failing_line(call: Callable[[str], object], source: str) -> int:
    """The first line (from 1) whose text, with the lines before it, makes the parser fail."""
    lines = source.split("\n")
    low, high = 1, len(lines)  # the whole text fails
    while low < high:
        middle = (low + high) // 2
        try:
            call("\n".join(lines[:middle]))
        except BaseException as error:
            if not _is_panic(error):
                raise
            high = middle
        else:
            low = middle + 1
    return low


def _is_panic(error: BaseException) -> bool:
    # pyo3's PanicException cannot be imported by name; it is known by its class's name.
    return type(error).__name__ == "PanicException"


def parse_body(body: str, previous: DocumentModel | None = None) -> DocumentModel:
    """Parse a Markdown body (lines counted from 1).

    ``previous``, the model of an earlier version, lets the unchanged elements be reused.
    Results are cached: consecutive comparisons share a version.
    """
    key = _model_key(body)
    cached = _models.get(key)
    if cached is not None and cached[0] == body:
        _models.move_to_end(key)
        return cached[1]
    data = body.encode("utf-8")
    # Link reference definitions ("[label]: url") are global to a document, and whether a
    # text that looks like one defines anything depends on where it is (not in a code block,
    # say), which only a whole parse knows: a version with one is parsed whole and read afresh,
    # sharing no element with another version (they are few).
    signature = hashlib.sha1(data).hexdigest() if _DEFINITION_MARK.search(body) else ""
    lines = data.split(b"\n")
    starts = _line_starts(lines)
    text = SourceMap(data, signature, (), (), lines, starts)
    elements = None
    source = previous.source if previous is not None else None
    if source is not None and not signature and not source.signature:
        elements = _relative_elements(source, text)
    if elements is None:
        elements = _Elements([], [])
        _parse_nodes(text, 0, len(data), elements)
    contents = tuple(elements.contents)
    assembly = assemble(contents, source)
    model = DocumentModel(
        assembly.sections,
        assembly.headings,
        SourceMap(
            data,
            signature,
            tuple(elements.nodes),
            contents,
            lines,
            starts,
            assembly.sources,
            assembly.preamble,
        ),
    )
    _models[key] = (body, model)
    if len(_models) > _MODEL_CACHE_SIZE:
        _models.popitem(last=False)
    return model


def _model_key(body: str) -> tuple[int, str, str]:
    # Hashing a whole body (tens of kilobytes, a new string each time a file is read) twice a
    # comparison cost more than the rest of a cache hit: a short fingerprint picks the entry,
    # the stored body confirms it, and a body that shares it with another replaces it.
    return (len(body), body[:64], body[-64:])


@dataclass(frozen=True)
class _Elements:
    """Top-level elements in order: where each lies, and (apart, shared between versions)
    what each holds."""

    nodes: list[SourceNode]
    contents: list[ElementContent]

    def extend(self, other: _Elements) -> None:
        """Append ``other``'s elements."""
        self.nodes.extend(other.nodes)
        self.contents.extend(other.contents)


def _parse_nodes(
    text: SourceMap, start: int, end: int, into: _Elements, stop: int | None = None
) -> int | None:
    """Parse ``text.data[start:end]`` (both at line starts) into top-level elements, appended
    to ``into``.

    With ``stop``, only the elements that start before it are read; returned is the offset
    where the first element at or after ``stop`` starts (None: no such element).
    """
    window = text.data[start:end]
    starts = text.line_starts
    if len(_contents) > _CONTENT_CACHE_LIMIT:
        _contents.clear()
    nodes, contents = into.nodes, into.contents
    for node in _units(_tree(window.decode("utf-8"), text.line_starts, start)):
        node_start: int
        node_end: int
        node_start, node_end = node.srcmap
        if stop is not None and start + node_start >= stop:
            return start + node_start
        # Line of an offset: how many lines start at or before it.
        line = bisect.bisect_right(starts, start + node_start)
        key = (node.name, window[node_start:node_end], text.signature)
        content = _contents.get(key)
        if content is None:
            content = _contents[key] = ElementReader(
                window, starts, start, line, text.signature
            ).read(node)
        last_line = bisect.bisect_right(starts, start + max(node_start, node_end - 1))
        nodes.append(SourceNode(start + node_start, start + node_end, line, last_line))
        contents.append(content)
    return None


def _units(root: Any) -> Iterator[Any]:
    """The units a new version reuses from the previous one: top-level elements, and each item
    of a top-level list on its own (a whole policy may be one long numbered list)."""
    for node in root.children:
        if node.name in _LISTS:
            items = node.children  # a new list at each access, as every attribute of a node
            if all(item.srcmap for item in items):
                yield from items
                continue
        yield node


def _relative_elements(previous: SourceMap, new: SourceMap) -> _Elements | None:
    """The elements of ``new`` (whose own elements are not known yet) computed from the
    previous version's (None: parse it all)."""
    if previous.data == new.data:
        return _Elements(list(previous.nodes), list(previous.contents))
    relative = _RelativeParse(previous, new)
    return relative.run() if relative.worthwhile() else None


class _RelativeParse:
    """Re-parses only the neighbourhood of each changed run of lines (see the module docstring).

    An old element is reused when the lines from its first line to the lines that closed it (the
    next element's first line, and the one after: a table is known by its second line) are
    unchanged and the parser was at an element boundary when it reached it; after a change, a
    window is parsed until one of its elements starts where an old element started, on an
    unchanged line.
    """

    def __init__(self, previous: SourceMap, new: SourceMap) -> None:
        self.old_nodes = previous.nodes
        self.old_contents = previous.contents
        self.text = new
        old_lines, new_lines = previous.lines, new.lines
        self.old_starts = previous.line_starts
        self.new_starts = new.line_starts
        self.old_line_count = len(old_lines)
        self.new_line_count = len(new_lines)
        # For each old line (from 0): the unchanged run it is in (-1: changed), and each run's
        # shift to the new line numbers. Runs are contiguous, so equal run ids at two lines mean
        # every line between is unchanged too.
        self.run_of = [-1] * len(old_lines)
        self.shift: list[int] = []
        self.run_end: list[int] = []  # each run's first old line after it
        self.unchanged = 0
        for op in Indel.opcodes(old_lines, new_lines):
            if op.tag == "equal":
                length = op.src_end - op.src_start
                self.run_of[op.src_start : op.src_end] = [len(self.shift)] * length
                self.shift.append(op.dest_start - op.src_start)
                self.run_end.append(op.src_end)
                self.unchanged += length
        self.first_lines = [node.line - 1 for node in self.old_nodes]

    def worthwhile(self) -> bool:
        """Relative parsing pays off only when most lines are unchanged (and there is an old
        element to start from)."""
        return bool(self.old_nodes) and self.unchanged * 2 > self.old_line_count

    def new_line(self, old_line: int) -> int | None:
        """Where an old line (from 0) is in the new version, if it is unchanged."""
        run = self.run_of[old_line]
        return None if run < 0 else old_line + self.shift[run]

    def run(self) -> _Elements:
        """Every top-level element of the new version, reused or parsed."""
        nodes = self.old_nodes
        result = _Elements([], [])
        synced = self._unchanged_opening()
        index = 0
        while index < len(nodes):
            if synced and self._reusable(index):
                index = self._reuse(index, result)
                continue
            line = self.new_line(nodes[index].line - 1) if synced else None
            if line is not None:
                start = self.new_starts[line]
            else:  # after the last node kept, from the next line
                start = self.new_starts[result.nodes[-1].last_line] if result.nodes else 0
            index = self._window(start, index, result)
            synced = True
        return result

    def _unchanged_opening(self) -> bool:
        """Whether the lines before the first element and its first line are unchanged."""
        if not self.old_nodes:
            return False
        first = self.old_nodes[0].line - 1
        return self.new_line(0) == 0 and self.run_of[first] == self.run_of[0]

    def _reusable(self, index: int) -> bool:
        first = self.first_lines[index]
        if index + 1 < len(self.old_nodes):
            # What closed it: the next element's first line, and the line after it (a table
            # starts only with its delimiter row, and may interrupt a paragraph).
            last = min(self.first_lines[index + 1] + 1, self.old_line_count - 1)
        else:  # the last element is closed by the end of the text, which must not move
            last = self.old_line_count - 1
            if self.new_line(last) != self.new_line_count - 1:
                return False
        run = self.run_of[first]
        return run >= 0 and self.run_of[last] == run

    def _window(self, start: int, index: int, result: _Elements) -> int:
        """Parse from ``start`` until an element starts where an old element started; append
        what was parsed to ``result`` and return the index of that old element."""
        attempts = 0
        for candidate in range(index + 1, len(self.old_nodes)):
            sync = self._sync_offset(candidate)
            if sync is None or sync <= start:
                continue
            end = self._window_end(candidate)
            parsed = _Elements([], [])
            if _parse_nodes(self.text, start, end, parsed, stop=sync) == sync:
                result.extend(parsed)
                return candidate
            attempts += 1
            if attempts >= _SYNC_ATTEMPTS:
                break
        _parse_nodes(self.text, start, len(self.text.data), result)
        return len(self.old_nodes)

    def _sync_offset(self, index: int) -> int | None:
        node = self.old_nodes[index]
        line = self.new_line(node.line - 1)
        if line is None or node.start != self.old_starts[node.line - 1]:
            return None
        return self.new_starts[line]

    def _window_end(self, index: int) -> int:
        # The window holds the candidate's first lines (at most three) and one more, so the
        # parser sees what it needs to decide that the candidate starts where it does (setext
        # headings, tables); the candidate itself is reused, not read from the window.
        node = self.old_nodes[index]
        first = self.new_line(node.line - 1)
        assert first is not None
        end_line = first + min(node.last_line - node.line, 2) + 2
        return self.new_starts[min(end_line, len(self.new_starts) - 1)]

    def _reuse(self, index: int, result: _Elements) -> int:
        """Append the old nodes reusable from ``index`` (itself reusable) on: those up to the
        first whose closing lines (see ``_reusable``) go past ``index``'s unchanged run, so one
        shift for all; return the index of the first node not reused."""
        nodes = self.old_nodes
        first = self.first_lines[index]
        run = self.run_of[first]
        run_end = self.run_end[run]
        if run_end >= self.old_line_count:  # the run goes on to the end of the text
            end = len(nodes) - 1
        else:
            end = bisect.bisect_left(self.first_lines, run_end - 1) - 1
        if end == len(nodes) - 1 and self._reusable(end):
            end += 1  # the last one, closed by the end of the text
        lines = self.shift[run]
        offset = self.new_starts[first + lines] - self.old_starts[first]
        if lines == 0 and offset == 0:
            result.nodes.extend(nodes[index:end])
        else:
            # A named tuple made through tuple.__new__: a third faster than through its class,
            # for the thousands of nodes a version shifts.
            result.nodes.extend(
                [
                    _tuple(SourceNode, (start + offset, stop + offset, at + lines, last + lines))
                    for start, stop, at, last in nodes[index:end]
                ]
            )
        result.contents.extend(self.old_contents[index:end])
        return end


def _line_starts(lines: list[bytes]) -> list[int]:
    """Byte offset of the start of each line (and one past the end)."""
    return [0, *itertools.accumulate(map((1).__add__, map(len, lines)))]
