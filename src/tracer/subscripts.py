"""Tracer layer: np.einsum's spellings normalized to the one form the einsum primitive reads,
explicit letters with an output (`ij,jk->ik`): the sublist form, `...` and the implicit output
are resolved here, and axes of size 1 that NumPy stretches are broadcast, so the primitive and
its derivative rules see only equal sizes."""

from __future__ import annotations

import operator
import string
from typing import Any

from ..errors import TraceError
from .source import caller_location

# NumPy's sublist labels: 0-25 are 'A'-'Z', 26-51 are 'a'-'z'.
SUBLIST_LETTERS = string.ascii_uppercase + string.ascii_lowercase
# The letters `...` may take, lowercase first: they read like hand-written subscripts.
FREE_LETTERS = string.ascii_lowercase + string.ascii_uppercase


def einsum_error(message: str, hint: str) -> TraceError:
    return TraceError(f"np.einsum: {message}", loc=caller_location(), hint=hint)


def sublist_term(sublist: Any) -> str:
    """One operand's sublist ([0, 1], [Ellipsis, 1]) as letters."""
    letters = []
    for label in sublist:
        if label is Ellipsis:
            letters.append("...")
            continue
        try:
            position = operator.index(label)
        except TypeError:
            position = -1
        if not 0 <= position < len(SUBLIST_LETTERS):
            raise einsum_error(
                f"sublist label {label!r} is not an integer in [0, 52) or Ellipsis",
                hint="label each axis with an int from 0 to 51 (or ... for broadcast axes)",
            )
        letters.append(SUBLIST_LETTERS[position])
    return "".join(letters)


def from_sublists(arguments: tuple) -> tuple[str, list]:
    """einsum(op0, sublist0, op1, sublist1, ..., [output]) as (subscripts, operands)."""
    operands = list(arguments[0::2][: len(arguments) // 2])
    terms = [sublist_term(s) for s in arguments[1::2][: len(operands)]]
    spec = ",".join(terms)
    if len(arguments) % 2:
        spec += "->" + sublist_term(arguments[-1])
    return spec, operands


def split_terms(spec: str, count: int) -> tuple[list[str], str | None]:
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != count:
        raise einsum_error(
            f"the subscripts {spec!r} name {len(terms)} operands, but {count} were given",
            hint="give one comma-separated term per operand",
        )
    for term in [*terms, output]:
        letters = term.replace("...", "", 1)  # one '...' per term at most
        if not all(c in string.ascii_letters for c in letters):
            raise einsum_error(
                f"the subscripts {spec!r} may hold only letters, ',', '->' and one '...' a term",
                hint="name each axis with a letter, e.g. 'ij,jk->ik'",
            )
    return terms, (output if arrow else None)


def implicit_output(terms: list[str], broadcast: str) -> str:
    """NumPy's implicit output: the broadcast axes, then the letters used once, in order."""
    letters = "".join(terms).replace("...", "")
    return broadcast + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))


def expand_ellipses(terms: list[str], ndims: list[int]) -> tuple[list[str], str]:
    """Each `...` as letters of its own (right-aligned, as NumPy broadcasts), and those letters."""
    widths = []
    for term, ndim in zip(terms, ndims, strict=True):
        named = len(term.replace("...", ""))
        width = ndim - named if "..." in term else 0
        if width < 0 or ("..." not in term and named != ndim):
            raise einsum_error(
                f"the term {term!r} names {named} axes, but its operand has {ndim}",
                hint="give one letter per axis, or '...' for the axes not named",
            )
        widths.append(width)
    used = set("".join(terms))
    free = [c for c in FREE_LETTERS if c not in used][: max(widths, default=0)]
    expanded = [
        term.replace("...", "".join(free[len(free) - width :]))
        for term, width in zip(terms, widths, strict=True)
    ]
    return expanded, "".join(free)


def normalize(spec: str, ndims: list[int]) -> tuple[list[str], str]:
    """The input terms and the output, all letters."""
    terms, output = split_terms(spec.replace(" ", ""), len(ndims))
    expanded, broadcast = expand_ellipses(terms, ndims)
    if output is None:
        return expanded, implicit_output(terms, broadcast)
    if "..." not in output and broadcast:
        raise einsum_error(
            f"the output {output!r} drops the axes '...' stands for",
            hint="keep them: write '...' in the output too (then sum them with np.sum if meant)",
        )
    return expanded, output.replace("...", broadcast)


def stretched_shapes(terms: list[str], shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Each operand's shape with its size-1 axes stretched to the size the letter has elsewhere
    (NumPy's broadcasting); an operand that needs no stretching keeps its own shape."""
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes, strict=True):
        for letter in dict.fromkeys(term):
            own = {size for c, size in zip(term, shape, strict=True) if c == letter}
            if len(own) > 1:  # a diagonal of one operand: NumPy stretches nothing there
                raise einsum_error(
                    f"axis {letter!r} repeats in {term!r} with sizes {sorted(own)}",
                    hint="a letter repeated in one operand takes its diagonal: those axes "
                    "must have one size",
                )
        for letter, size in zip(term, shape, strict=True):
            known = sizes.setdefault(letter, size)
            if size != known and 1 not in (size, known):
                raise einsum_error(
                    f"axis {letter!r} has size {known} in one operand and {size} in another",
                    hint="operands must agree on each axis (or have size 1 there)",
                )
            sizes[letter] = max(known, size)
    return [tuple(sizes[c] for c in term) for term in terms]
