"""Reading config text strictly: valid UTF-8, bounded size and alias expansion, no duplicated keys, and
``${VAR}`` / ``${VAR:default}`` expansion. Every problem is one :class:`ConfigurationError` line."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from arbkit.errors import ConfigurationError
from arbkit.masking import mask

MAX_BYTES = 1 << 20  # a config is a few KiB; anything near a MiB is a mistake
MAX_NODES = 100_000  # values after alias expansion: a "billion laughs" document is refused before it is built

_VAR = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def decode(data: bytes, source: str) -> str:
    """The file's text; invalid UTF-8 names the byte offset."""
    if len(data) > MAX_BYTES:
        raise ConfigurationError(f"{source}: {len(data)} bytes is too large for a config file (limit {MAX_BYTES})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{source}: not valid UTF-8 text (byte {exc.start}: {exc.reason})") from None


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicated keys (PyYAML keeps the last one silently)."""

    source = "config.yaml"

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: PyYAML's own error names it
            if first is not None:
                raise ConfigurationError(
                    f"{self.source} line {line}: duplicated key {str(key)[:60]!r} (first at line {first})"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: Node, source: str) -> int:
    """How many values the document has once aliases are expanded, computed on the shared node graph."""
    memo: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        if ready:
            open_nodes.discard(id(node))
            memo[id(node)] = min(1 + sum(memo[id(c)] for c in children), MAX_NODES + 1)
            continue
        if id(node) in memo:
            continue
        if id(node) in open_nodes:
            line = node.start_mark.line + 1
            raise ConfigurationError(f"{source} line {line}: an alias refers to a value that contains it")
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in memo)
    return memo[id(root)]


def load_yaml(text: str, source: str) -> Any:
    """Parse one YAML document safely; an oversized expansion is refused before any value is built."""
    loader = _StrictLoader(text)
    loader.source = source
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        if _expanded_size(root, source) > MAX_NODES:
            raise ConfigurationError(
                f"{source}: the document expands to more than {MAX_NODES} values (an alias bomb?); refused"
            )
        return loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "parse error"
        raise ConfigurationError(f"{source}{where}: invalid YAML ({problem})") from None
    except RecursionError:
        raise ConfigurationError(f"{source}: nested too deeply to be a config file") from None
    finally:
        loader.dispose()


def expand(value: Any, env: Mapping[str, str], path: str, is_credential: Callable[[str], bool]) -> Any:
    """Expand ``${...}`` in every string. An unset variable without a default is an error, except in a
    credential key, where it means "no credentials" (the exchange runs public-only)."""
    if isinstance(value, dict):
        return {k: expand(v, env, f"{path}.{k}" if path else str(k), is_credential) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, env, f"{path}[{i}]", is_credential) for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _substitute(value, env, path, is_credential(path))
    return value


def _substitute(text: str, env: Mapping[str, str], path: str, credential: bool) -> str:
    start = text.find("${")
    while start != -1:
        end = text.find("}", start)
        if end == -1:
            raise ConfigurationError(f"{path}: malformed ${{...}} pattern {_shown(text[start:])!r} (no closing brace)")
        start = text.find("${", end)

    def replace(match: re.Match[str]) -> str:
        name, has_default, default = match.group(1).partition(":")
        if not _NAME.match(name):
            raise ConfigurationError(
                f"{path}: malformed ${{...}} pattern {_shown(match.group(0))!r} (expected ${{VAR}} or ${{VAR:default}})"
            )
        value = env.get(name)
        if value:
            return value
        if not has_default and not credential:
            raise ConfigurationError(
                f"{path}: environment variable {name} is not set and has no default (write ${{{name}:default}})"
            )
        return default

    return _VAR.sub(replace, text)


def _shown(pattern: str) -> str:
    """A malformed pattern as shown in an error: ``${`` plus at most a masked preview of what follows."""
    if len(pattern) <= 2:
        return pattern
    return "${" + mask(pattern[2:])
