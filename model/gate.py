"""The input gate: every file the project reads enters through here.

It turns a missing, unreadable, oversized or malformed file into an
:class:`InputError` naming the file (and, where it can, the dotted path and the
line), so no caller shows a traceback to a user. Sizes are checked before a byte
is parsed; YAML is read by a safe loader that also refuses duplicate keys, alias
bombs and deep nesting, without ever recursing deeper than :data:`MAX_DEPTH`.

The pieces are small and reusable, so the command line, the workbook importer and
the app's uploads apply the same rules:

- :func:`check_size` — a byte count against a limit;
- :func:`read_bytes_limited` / :func:`read_text_limited` — a regular file, read whole
  only when it fits its limit, decoded as UTF-8;
- :func:`parse_yaml_text` — YAML text to plain data, with the loader's limits;
- :func:`read_yaml` — an assumptions, scenario, set or risk file: a mapping.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import datetime
import gc
import hashlib
import os
import stat
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

MB = 1024 * 1024
#: Largest file of each kind read at all (checked before parsing).
YAML_LIMIT = 16 * MB  # 10,000 products take about 8 MB
CSV_LIMIT = 5 * MB
XLSX_LIMIT = 20 * MB
#: YAML structure: deepest nesting, most aliases (``*name``), most values once
#: every alias is expanded (a "billion laughs" file expands to far more).
MAX_DEPTH = 50
MAX_ALIASES = 100
MAX_VALUES = 1_000_000  # 10,000 products hold about 650,000

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: the file, the dotted path, the rule and the value."""

    file: str
    path: str
    rule: str
    value: Any = None
    has_value: bool = False

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        got = f" (got {self.value!r})" if self.has_value else ""
        return f"{where}: {self.rule}{got}"


class InputError(Exception):
    """Invalid input; ``problems`` lists every issue found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _refuse(name: str, rule: str, path: str = "") -> InputError:
    return InputError([Problem(name, path, rule)])


# ---------------------------------------------------------------- sizes and files


def _megabytes(n: int) -> str:
    return f"{n / MB:.0f}" if n % MB == 0 else f"{n / MB:.1f}"


def check_size(size: int, limit: int, name: str, kind: str = "files") -> None:
    """Refuse ``size`` bytes when over ``limit``, before anything is parsed.

    ``kind`` names what the limit is for ("YAML files", "workbooks"…); the app calls
    this with an upload's length, the command line with a file's size.
    """
    if size > limit:
        raise _refuse(
            name,
            f"is {size / MB:.1f} MB, over the import limit of {_megabytes(limit)} MB "
            f"for {kind} (refused before reading)",
        )


def _os_problem(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is not a regular file (it is a folder)"
    return f"cannot be read ({exc.strerror or type(exc).__name__})"


def _regular(st: os.stat_result) -> str | None:
    """Why a file with this status cannot be read as input, or None."""
    if stat.S_ISDIR(st.st_mode):
        return "is not a regular file (it is a folder)"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    return None


#: The files read through the gate while a command runs (see :func:`track_reads`).
_READS: contextvars.ContextVar[dict[str, tuple[int, int]] | None] = contextvars.ContextVar(
    "gate_reads", default=None
)


@contextlib.contextmanager
def track_reads() -> Iterator[dict[str, tuple[int, int]]]:
    """Record every file read through the gate in this block: name -> (device, inode).

    The command line runs each command inside it, so the output gate can refuse to
    write over any file the command read, including those named inside other files
    (the scenarios of a set).
    """
    reads: dict[str, tuple[int, int]] = {}
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


def files_read() -> dict[str, tuple[int, int]]:
    """The files read so far inside :func:`track_reads` (empty outside it)."""
    return dict(_READS.get() or {})


def read_bytes_limited(path: str | Path, limit: int, kind: str = "files") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Folders, devices and pipes are refused without being opened for a blocking read,
    and the size is checked before reading (and again while reading, for files whose
    size the system does not know in advance).
    """
    name = str(path)
    try:
        # O_NONBLOCK: opening a pipe that has no writer must not hang the program.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _refuse(name, _os_problem(exc)) from None
    try:
        st = os.fstat(fd)
        why = _regular(st)
        if why:
            raise _refuse(name, why)
        check_size(st.st_size, limit, name, kind)
        reads = _READS.get()
        if reads is not None:
            reads[name] = (st.st_dev, st.st_ino)
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = _read_at_most(fh, limit + 1)
    except OSError as exc:
        raise _refuse(name, _os_problem(exc)) from None
    finally:
        os.close(fd)
    check_size(len(data), limit, name, kind)
    return data


def _read_at_most(fh: Any, n: int, chunk: int = MB) -> bytes:
    """Up to ``n`` bytes, a chunk at a time (one large read would reserve ``n`` bytes)."""
    parts: list[bytes] = []
    left = n
    while left > 0:
        part = fh.read(min(chunk, left))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def decode_utf8(data: bytes, name: str, what: str = "a text file") -> str:
    """UTF-8 text (a leading byte-order mark is dropped), or an error naming the spot."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise _refuse(
            name,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column {column}):"
            f" is it {what}? Save it with UTF-8 encoding",
        ) from None
    return text.removeprefix("\ufeff")


def read_text_limited(path: str | Path, limit: int, kind: str = "files") -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes (see :func:`check_size`)."""
    what = {"YAML files": "a YAML file", "CSV files": "a CSV file"}.get(kind, "a text file")
    return decode_utf8(read_bytes_limited(path, limit, kind), str(path), what)


# ---------------------------------------------------------------- YAML


class YamlLimitError(yaml.YAMLError):
    """A YAML document that breaks one of the loader's rules (not its syntax)."""

    def __init__(self, rule: str, path: str, mark: Any):
        self.rule, self.path, self.mark = rule, path, mark
        super().__init__(rule)

    def problem(self, name: str) -> Problem:
        at = f" (line {self.mark.line + 1})" if self.mark is not None else ""
        return Problem(name, self.path, self.rule + at)


class _Guards(Composer):
    """Composer rules shared by both loaders: depth, aliases, size, duplicate keys.

    Nodes are composed one event at a time, so a rule stops the reading at the first
    event that breaks it (a 10,000-deep document is refused at level 51).
    """

    if TYPE_CHECKING:  # provided by the parser each loader combines this with

        def check_event(self, *choices: Any) -> bool: ...
        def peek_event(self) -> Any: ...

    def _start_guards(self) -> None:
        self._path: list[str] = []
        self._open_anchors: list[str] = []
        self._aliases = 0
        self._values = 0
        self._weight: dict[int, int] = {}
        self._keys: dict[int, dict[tuple[str, str], int]] = {}

    def _dotted(self) -> str:
        parts = self._path
        if len(parts) > 8:  # a path 50 levels deep says no more than its ends
            parts = [*parts[:3], f"…({len(parts) - 5} more)…", *parts[-2:]]
        return ".".join(parts)

    def _count(self, n: int, mark: Any) -> None:
        self._values += n
        if self._values > MAX_VALUES:
            raise YamlLimitError(
                f"holds more than {MAX_VALUES:,} values (each use of an alias counted in "
                "full): refused as too large",
                self._dotted(),
                mark,
            )

    def _alias(self) -> None:
        event = self.peek_event()
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise YamlLimitError(
                f"uses more than {MAX_ALIASES} aliases (*name)", self._dotted(), event.start_mark
            )
        if event.anchor in self._open_anchors:
            raise YamlLimitError(
                f"alias *{event.anchor} refers to a value that contains it (a cycle)",
                self._dotted(),
                event.start_mark,
            )
        target = self.anchors.get(event.anchor)
        if target is not None:
            self._count(self._weight.get(id(target), 1), event.start_mark)

    def _key_seen(self, parent: MappingNode, key: ScalarNode) -> None:
        seen = self._keys.setdefault(id(parent), {})
        first = seen.get((key.tag, key.value))
        if first is not None:
            raise YamlLimitError(
                f"duplicate key '{key.value}' at line {key.start_mark.line + 1} "
                f"(first at line {first})",
                self._dotted(),
                None,
            )
        seen[(key.tag, key.value)] = key.start_mark.line + 1

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if isinstance(index, ScalarNode):
            self._path.append(str(index.value))
            if isinstance(parent, MappingNode) and index.tag != _MERGE_TAG:
                self._key_seen(parent, index)
        elif isinstance(index, int):
            self._path.append(str(index))
        try:
            return self._compose_counted(parent, index)
        finally:
            if isinstance(index, (ScalarNode, int)):
                self._path.pop()

    def _compose_counted(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            self._alias()
            return super().compose_node(parent, index)
        event = self.peek_event()
        self._count(1, event.start_mark)
        if not self.check_event(SequenceStartEvent, MappingStartEvent):
            return super().compose_node(parent, index)
        if len(self._path) >= MAX_DEPTH:
            raise YamlLimitError(
                f"is nested more than {MAX_DEPTH} levels deep", self._dotted(), event.start_mark
            )
        if event.anchor is not None:
            self._open_anchors.append(event.anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            if event.anchor is not None:
                self._open_anchors.pop()
        if node is not None:
            self._keys.pop(id(node), None)
            weights = [self._weight.get(id(n), 1) for n in _children(node)]
            self._weight[id(node)] = 1 + sum(weights)
        return node


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


class _Constructor(SafeConstructor):
    """Safe construction, refusing keys that differ in writing but not in value."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=False)
                if isinstance(key, Hashable) and not isinstance(key, (list, dict)):
                    first = seen.setdefault(key, key_node.start_mark.line + 1)
                    if first != key_node.start_mark.line + 1:
                        raise YamlLimitError(
                            f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                            f"(the same key as at line {first}, written differently)",
                            "",
                            None,
                        )
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            # a date that does not exist (2026-02-30), an integer of 5,000 digits…
            text = str(exc).split(":")[0] if "digits" in str(exc) else str(exc)
            raise YamlLimitError(
                f"value {str(node.value)[:40]!r} cannot be read ({text})", "", node.start_mark
            ) from None


class GateLoader(_Guards, _Constructor, yaml.SafeLoader):
    """:class:`yaml.SafeLoader` with the gate's rules (pure Python)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._start_guards()


LOADER: type[Any] = GateLoader


#: A dotted path while :func:`check_tree` walks: the parent's path and the last part.
_Path = tuple[Any, str] | None


def check_tree(root: Node) -> None:
    """The gate's rules on a composed node tree, walked without recursion: nesting depth,
    aliases (a node met a second time), values with aliases expanded, cycles and
    duplicate keys. Raises :class:`YamlLimitError` naming the dotted path.

    Each path is kept as its parent's path and a last part, and spelled out only for a
    message: a file of 10,000 products holds 650,000 values.
    """
    aliases = 0
    weight: dict[int, int] = {}
    total = 0
    # (node, path, depth, done): done marks a collection whose children are all checked
    stack: list[tuple[Node, _Path, int, bool]] = [(root, None, 0, False)]
    open_ids: set[int] = set()
    while stack:
        node, path, depth, done = stack.pop()
        key = id(node)
        if done:
            open_ids.discard(key)
            weight[key] = 1 + _children_weight(node, weight)
            continue
        if key in open_ids:
            raise YamlLimitError(
                "an alias refers to a value that contains it (a cycle)",
                _spelled(path),
                node.start_mark,
            )
        met = weight.get(key)
        if met is not None:  # a node met again: an alias
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YamlLimitError(
                    f"uses more than {MAX_ALIASES} aliases (*name)",
                    _spelled(path),
                    node.start_mark,
                )
            total += met
        else:
            total += 1
        if total > MAX_VALUES:
            raise YamlLimitError(
                f"holds more than {MAX_VALUES:,} values (each use of an alias counted in "
                "full): refused as too large",
                _spelled(path),
                node.start_mark,
            )
        if met is not None:
            continue
        if isinstance(node, ScalarNode):
            weight[key] = 1
            continue
        if depth >= MAX_DEPTH:
            raise YamlLimitError(
                f"is nested more than {MAX_DEPTH} levels deep", _spelled(path), node.start_mark
            )
        open_ids.add(key)
        stack.append((node, path, depth, True))
        stack.extend(reversed(_labelled_children(node, path, depth + 1)))


def _children_weight(node: Node, weight: dict[int, int]) -> int:
    """The values a collection's children hold, aliases expanded (each counted already)."""
    get = weight.get
    if isinstance(node, SequenceNode):
        return sum(get(id(c), 1) for c in node.value)
    return sum(get(id(k), 1) + get(id(v), 1) for k, v in node.value)


def _spelled(path: _Path) -> str:
    """A walk's path as a dotted path (see :func:`_short`)."""
    parts: list[str] = []
    while path is not None:
        path, last = path
        parts.append(last)
    return _short(parts[::-1])


def _short(parts: list[str]) -> str:
    if len(parts) > 8:  # a path 50 levels deep says no more than its ends
        parts = [*parts[:3], f"…({len(parts) - 5} more)…", *parts[-2:]]
    return ".".join(parts)


def _labelled_children(node: Node, path: _Path, depth: int) -> list[tuple[Node, _Path, int, bool]]:
    """A collection's children with their paths; a mapping's keys checked for repeats."""
    if isinstance(node, SequenceNode):
        return [(c, (path, str(i)), depth, False) for i, c in enumerate(node.value)]
    out: list[tuple[Node, _Path, int, bool]] = []
    seen: dict[tuple[str, str], int] = {}
    for k, v in node.value:
        if isinstance(k, ScalarNode):
            if k.tag != _MERGE_TAG:
                first = seen.get((k.tag, k.value))
                if first is not None:
                    raise YamlLimitError(
                        f"duplicate key '{k.value}' at line {k.start_mark.line + 1} "
                        f"(first at line {first})",
                        _spelled((path, str(k.value))),
                        None,
                    )
                seen[(k.tag, k.value)] = k.start_mark.line + 1
            here = (path, str(k.value))
        else:
            here = (path, "?")
        out += [(k, here, depth, False), (v, here, depth, False)]
    return out


STREAMING_LOADER: type[Any] = GateLoader
#: Scalar tags whose values (text, numbers, true/false, null, dates) never change.
_SHARED_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")
)

if yaml.__with_libyaml__:
    from yaml._yaml import CParser  # type: ignore[import-not-found,unused-ignore]

    class StreamingGateLoader(_Guards, CParser, _Constructor, Resolver):  # type: ignore[misc,unused-ignore]
        """libyaml's parser with the pure-Python composer and the gate's rules, checked
        event by event: stops at the first event that breaks a rule, however large the
        document (for documents that may hold too many values)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Constructor.__init__(self)
            Resolver.__init__(self)
            self.anchors: dict[str, Node] = {}
            self._start_guards()

    class FastGateLoader(CParser, _Constructor, Resolver):  # type: ignore[misc,unused-ignore]
        """libyaml's parser and composer, the gate's rules on the composed tree, then the
        gate's safe constructor: about ten times faster than composing in Python."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Constructor.__init__(self)
            Resolver.__init__(self)
            self._tags: dict[tuple[str, Any], str] = {}
            self._scalars: dict[tuple[str, str], Any] = {}

        def construct_object(self, node: Node, deep: bool = False) -> Any:
            """A scalar of a standard type built once per distinct text and tag (the
            values are immutable, so sharing them is safe); anything else as usual."""
            if type(node) is not ScalarNode or node.tag not in _SHARED_SCALAR_TAGS:
                return super().construct_object(node, deep=deep)
            key = (node.tag, node.value)
            try:
                return self._scalars[key]
            except KeyError:
                value = self._scalars[key] = super().construct_object(node, deep=deep)
                return value

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            """A scalar's tag, found once per distinct text: a file of thousands of
            products repeats the same few values (``0``, ``true``, month labels)."""
            if kind is not ScalarNode or self.yaml_path_resolvers:
                return super().resolve(kind, value, implicit)
            key = (value, implicit)
            tag = self._tags.get(key)
            if tag is None:
                tag = self._tags[key] = super().resolve(kind, value, implicit)
            return tag

        def get_single_data(self) -> Any:
            node = self.get_single_node()
            if node is None:
                return None
            check_tree(node)
            return self.construct_document(node)

    STREAMING_LOADER = StreamingGateLoader
    LOADER = FastGateLoader


def most_values(text: str) -> int:
    """An upper bound on the nodes a YAML text can compose to, counted in C: every node
    needs an indicator (``:``, ``,``, ``-``, a bracket) or a line of its own. Aliases add
    none (they share nodes; :func:`check_tree` counts their expansion)."""
    return sum(text.count(c) for c in ":,-[{\n") + 1


def _loader_for(text: str) -> type[Any]:
    """The fast loader when the text cannot hold too many values. Otherwise, with libyaml,
    its events are counted first (no nodes built) and the reading stops at the budget;
    without libyaml, the streaming loader checks every event as it composes."""
    if most_values(text) <= MAX_VALUES:
        return LOADER
    if LOADER is STREAMING_LOADER:
        return STREAMING_LOADER
    _count_events(text)
    return LOADER


def _count_events(text: str) -> None:
    """Count the nodes of a YAML text from libyaml's events, without composing them;
    more than :data:`MAX_VALUES` is refused at the event that breaks the budget."""
    from yaml._yaml import CParser  # type: ignore[import-not-found,unused-ignore]

    parser = CParser(text)
    count = 0
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, StreamEndEvent):
                return
            if isinstance(event, (ScalarEvent, SequenceStartEvent, MappingStartEvent, AliasEvent)):
                count += 1
                if count > MAX_VALUES:
                    raise YamlLimitError(
                        f"holds more than {MAX_VALUES:,} values (each use of an alias counted "
                        "in full): refused as too large",
                        "",
                        event.start_mark,
                    )
    finally:
        parser.dispose()


#: Texts parsed recently (by content), so the same base read for every scenario of a
#: set or every vintage is parsed once; callers get their own copy.
_PARSED: dict[bytes, Any] = {}
_PARSED_KEEP = 32
_PARSED_LARGEST = 1024 * 1024  # a larger text is kept alone


def parse_yaml_text(text: str, name: str, loader: type[Any] | None = None) -> Any:
    """Plain data from YAML text; every refusal is an :class:`InputError` naming ``name``.

    Refused: syntax errors, duplicate keys, more than :data:`MAX_ALIASES` aliases or
    :data:`MAX_VALUES` values (aliases expanded), nesting deeper than
    :data:`MAX_DEPTH`, tags other than YAML's standard ones, impossible dates.
    """
    if loader is not None:
        return _parse_yaml(text, name, loader)
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    if key not in _PARSED:
        data = _parse_yaml(text, name, None)
        if len(text) > _PARSED_LARGEST:
            _PARSED.clear()  # one large text at a time (validate reads its file twice)
        while len(_PARSED) >= _PARSED_KEEP:
            _PARSED.pop(next(iter(_PARSED)), None)
        _PARSED[key] = data
    with _collector_paused():
        return _copied(_PARSED[key])


#: Values :func:`_copied` shares rather than copies: nothing changes them in place.
_SHARED = frozenset({str, int, float, bool, type(None), datetime.date, datetime.datetime})


def _copied(data: Any) -> Any:
    """A copy of parsed YAML that its caller may change freely: mappings and lists copied
    at every level, text, numbers and dates shared (they never change), anything else
    (a set, ordered pairs) deep-copied. Ten times faster than :func:`copy.deepcopy` on
    a file of thousands of products; a value used twice through an alias is copied
    twice (the loader has already counted it in full)."""
    if isinstance(data, dict):
        return {k: v if type(v) in _SHARED else _copied(v) for k, v in data.items()}
    if isinstance(data, list):
        return [v if type(v) in _SHARED else _copied(v) for v in data]
    return data if type(data) in _SHARED else copy.deepcopy(data)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a block that builds many objects and no cycles
    (a parsed document, its copy): otherwise it walks every object built so far again
    and again, and reading 10,000 products takes twice as long."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _parse_yaml(text: str, name: str, loader: type[Any] | None) -> Any:
    try:
        with _collector_paused():
            return yaml.load(text, Loader=loader or _loader_for(text))  # SafeLoader rules
    except YamlLimitError as exc:
        raise InputError([exc.problem(name)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context and getattr(exc, "problem", None):
            reason = f"{context}, {reason}"
        if "nesting depth" in reason:  # libyaml's own limit, deeper than ours
            raise _refuse(name, f"is nested more than {MAX_DEPTH} levels deep{at}") from None
        raise _refuse(name, f"malformed YAML{at}: {reason}") from None
    except (ValueError, OverflowError, RecursionError) as exc:
        raise _refuse(name, f"malformed YAML: {exc}") from None


def yaml_mapping(text: str, name: str) -> dict[str, Any]:
    """The top-level mapping of a YAML document given as text."""
    data = parse_yaml_text(text, name)
    if not isinstance(data, dict):
        raise _refuse(name, "must be a YAML mapping of sections")
    return data


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Load a YAML mapping from a file, within :data:`YAML_LIMIT` and the loader's rules."""
    return yaml_mapping(read_text_limited(path, YAML_LIMIT, "YAML files"), str(path))


# ---------------------------------------------------------------- CSV


def csv_records(text: str, name: str) -> tuple[list[dict[str, str]], list[str]]:
    """The rows (as mappings by header) and the header of CSV text; an unreadable CSV
    is an :class:`InputError` naming ``name``."""
    import csv
    import io

    try:
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        rows = list(reader)
        header = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise InputError([Problem(name, "", f"is not a readable CSV file ({exc})")]) from None
    return rows, header
