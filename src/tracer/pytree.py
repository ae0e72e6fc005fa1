"""Tracer layer: pytrees, nested tuples, lists and dicts (and None) of leaves.

`flatten` gives the leaves in a fixed order and a hashable TreeDef, so a structure can be
part of a cache key and rebuilt around new leaves. Dicts keep the caller's key order, so a
rebuilt result reads as the user wrote it (and emitted code lists keys in that order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TreeDef:
    """`kind` is leaf, none, tuple, list or dict; `keys` are the dict's keys in leaf order."""

    kind: str
    children: tuple[TreeDef, ...] = ()
    keys: tuple[Any, ...] = ()

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(child.num_leaves for child in self.children)


LEAF = TreeDef("leaf")


def flatten(tree: Any) -> tuple[list[Any], TreeDef]:
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list[Any]) -> TreeDef:
    if tree is None:
        return TreeDef("none")
    if isinstance(tree, tuple) and not hasattr(tree, "_fields"):
        return TreeDef("tuple", tuple(_flatten(t, leaves) for t in tree))
    if isinstance(tree, list):
        return TreeDef("list", tuple(_flatten(t, leaves) for t in tree))
    if isinstance(tree, dict):
        keys = list(tree)
        return TreeDef("dict", tuple(_flatten(tree[k], leaves) for k in keys), tuple(keys))
    leaves.append(tree)
    return LEAF


def unflatten(treedef: TreeDef, leaves: list[Any]) -> Any:
    iterator = iter(leaves)
    return _unflatten(treedef, iterator)


def _unflatten(treedef: TreeDef, leaves: Iterator[Any]) -> Any:
    if treedef.kind == "leaf":
        return next(leaves)
    if treedef.kind == "none":
        return None
    children = [_unflatten(child, leaves) for child in treedef.children]
    if treedef.kind == "dict":
        return dict(zip(treedef.keys, children, strict=True))
    return tuple(children) if treedef.kind == "tuple" else children


def leaf_paths(treedef: TreeDef, prefix: tuple = ()) -> list[tuple]:
    """The key path of every leaf, in leaf order (`('W1',)` for `params['W1']`)."""
    if treedef.kind == "leaf":
        return [prefix]
    keys = treedef.keys if treedef.kind == "dict" else range(len(treedef.children))
    paths: list[tuple] = []
    for key, child in zip(keys, treedef.children, strict=True):
        paths.extend(leaf_paths(child, (*prefix, key)))
    return paths


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [fn(leaf) for leaf in leaves])
