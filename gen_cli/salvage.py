"""What can still be known of a file that does not validate: its valid parts.

One run of ``gen validate`` should report everything that can be known, so that an
applicant fixes a pull request in one round-trip. When a file fails its model, each
top-level field is validated on its own; a field that fails keeps what is valid in it by
dropping the failing items of its lists and dictionaries (a partner, a grade) and the
unknown keys, never a field of a model (a default would then stand for a wrong value).
"""

from __future__ import annotations

import functools
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

#: How many times a field is pruned and validated again; each pass drops one more level.
MAX_PASSES = 8

_GONE = object()


@functools.cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    kind: Any = info.annotation
    if info.metadata:
        kind = Annotated[kind, *info.metadata]
    return TypeAdapter(kind)


def salvage(model: type[BaseModel], data: Any) -> dict[str, Any]:
    """The top-level fields of ``data`` that are valid for ``model``, validated.

    A field missing from ``data``, or whose every part fails, is left out.
    """
    if not isinstance(data, dict):
        return {}
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        value = data[name]
        for _ in range(MAX_PASSES):
            try:
                values[name] = _adapter(model, name).validate_python(value)
                break
            except ValidationError as error:
                value = _pruned(value, info.annotation, [e for e in error.errors()])
                if value is _GONE:
                    break
    return values


def _pruned(value: Any, annotation: Any, errors: list[Any]) -> Any:
    """``value`` without the smallest collection items or unknown keys that hold the errors."""
    cuts: set[tuple[str | int, ...]] = set()
    for error in errors:
        path = _data_path(value, tuple(error["loc"]))
        if error["type"] == "extra_forbidden" and path:
            cuts.add(path)
            continue
        if error["type"] == "missing" and path and not _present(value, path):
            path = path[:-1]
        cut = _item_holding(value, annotation, path)
        if cut is None:
            return _GONE
        cuts.add(cut)
    return _without(value, cuts, ())


def _child(node: Any, part: str | int) -> Any:
    """``node[part]`` when ``node`` is a mapping or list that has it, else ``_GONE``."""
    if isinstance(node, dict):
        return node.get(part, _GONE)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _GONE


def _present(value: Any, path: tuple[str | int, ...]) -> bool:
    node = value
    for part in path:
        node = _child(node, part)
        if node is _GONE:
            return False
    return True


def _data_path(value: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The parts of pydantic's ``loc`` that name nodes of ``value`` (skips union tags)."""
    path: list[str | int] = []
    node = value
    for part in loc:
        child = _child(node, part)
        if child is not _GONE:
            node = child
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str):
            path.append(part)  # a missing or unknown key: the last part
            break
    return tuple(path)


def _item_holding(
    value: Any, annotation: Any, path: tuple[str | int, ...]
) -> tuple[str | int, ...] | None:
    """The deepest item of a list or dictionary on ``path``: the smallest part to drop."""
    best: tuple[str | int, ...] | None = None
    kind = annotation
    for depth, part in enumerate(path):
        if _is_collection(kind):
            best = path[: depth + 1]
        kind = _inner(kind, part)
    return best


def _unwrapped(kind: Any) -> Any:
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind = get_args(kind)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(kind) if a is not type(None)]
            if len(members) != 1:
                return kind
            kind = members[0]
        else:
            return kind


def _is_collection(kind: Any) -> bool:
    return get_origin(_unwrapped(kind)) in (list, dict)


def _inner(kind: Any, part: str | int) -> Any:
    kind = _unwrapped(kind)
    origin = get_origin(kind)
    if origin is list:
        return get_args(kind)[0]
    if origin is dict:
        return get_args(kind)[1]
    if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(part, str):
        info = kind.model_fields.get(part)
        return info.annotation if info is not None else None
    return None


def _without(node: Any, cuts: set[tuple[str | int, ...]], here: tuple[str | int, ...]) -> Any:
    if here in cuts:
        return _GONE
    if isinstance(node, dict):
        kept = {k: _without(v, cuts, (*here, k)) for k, v in node.items()}
        return {k: v for k, v in kept.items() if v is not _GONE}
    if isinstance(node, list):
        items = [_without(v, cuts, (*here, i)) for i, v in enumerate(node)]
        return [v for v in items if v is not _GONE]
    return node
