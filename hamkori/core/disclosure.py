"""Disclosure control for aggregates shown to donors or the public and for every aggregate export.

The rule (see ``docs/disclosure-control.md``): counts from 1 to ``threshold - 1`` (1 to 4 by
default) are hidden and shown as ``"<5"`` (*primary suppression*); further cells are hidden
(*secondary suppression*) so that no hidden count can be worked out exactly from the published
cells and totals, and shown as ``"x"`` (:data:`SECONDARY_MARK`): such a cell is not small, it is
hidden only to protect another one, so it never carries the untrue label ``"<5"``. Zero is published: it is not disclosive by convention here, and a hidden cell
is therefore always known to be at least 1.

:func:`protect` handles a two-way table with row, column and grand totals, :func:`protect_series`
a one-way table with its total and :func:`protect_count` a single count. All three are pure and
deterministic: the same counts always give the same pattern.

How the check works. The published table is a set of linear equations (every row and every
column, the totals row and the totals column included, sums to its total). An attacker is
assumed to know every published value, every equation and, for every hidden cell, whether it
was hidden as small (so it lies in 1..threshold-1) or as a secondary cell (so it is not 0 and
not small: it is at least ``threshold``). Those ranges are intervals and the equations are those
of a bipartite network (row nodes, column nodes, one edge per cell), so the integer solutions
form a network-flow polytope: a hidden cell can take another value if and only if it lies on a
cycle of hidden cells along which every cell can move by one in alternating directions without
leaving its range. :func:`_pinned` finds, with a breadth-first search per hidden cell, the
hidden cells on no such cycle; those are exactly the cells whose value is recoverable. This is
exact (not a heuristic) and covers both pure linear algebra (a cell on no cycle at all) and
bounds (a cell whose only cycles are blocked by a range end).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_THRESHOLD",
    "SECONDARY_MARK",
    "Cell",
    "DisclosureError",
    "SafeSeries",
    "SafeTable",
    "protect",
    "protect_count",
    "protect_series",
]

DEFAULT_THRESHOLD = 5

#: What a cell hidden by secondary suppression shows (in pages and exports alike): it is hidden to
#: protect another cell and may well be 5 or more, so it must not read "<5".
SECONDARY_MARK = "x"

#: ``Cell.reason`` of a suppressed cell: the count itself is small, or it protects another cell.
SMALL = "small"
PROTECTS_ANOTHER = "protects_another"

# A position in the problem: (row, column) of the table with its totals row and column appended.
Key = tuple[int, int]


class DisclosureError(ValueError):
    """The counts cannot be published with totals without revealing a small count.

    Raised only when even hiding every non-zero cell and total would leave a small count exactly
    recoverable (for example a 2x2 table of ones: the grand total "<5" and four cells that are
    each at least 1 force every cell to be 1). Callers should show the table without totals, at
    a coarser level, or not at all.

    ``cells`` names the counts that would be given away, as ``(row, column)`` labels where
    ``None`` stands for "Total" (for a series the column is always ``None``).
    """

    def __init__(self, message: str, cells: Sequence[tuple[str | None, str | None]] = ()) -> None:
        super().__init__(message)
        self.cells = list(cells)


class _Unprotectable(Exception):
    def __init__(self, keys: list[Key]) -> None:
        super().__init__(keys)
        self.keys = keys


@dataclass(frozen=True)
class Cell:
    """One published cell. A suppressed cell never carries its value."""

    value: int | None
    suppressed: bool
    primary: bool = False  # hidden because the count itself is small (1..threshold-1)
    label: str = "<5"  # what a suppressed cell shows: "<5" when primary, SECONDARY_MARK otherwise

    def __post_init__(self) -> None:
        if self.suppressed != (self.value is None):
            raise ValueError("a cell has a value exactly when it is not suppressed")
        if self.primary and not self.suppressed:
            raise ValueError("a primary cell is suppressed")

    def __str__(self) -> str:
        return self.label if self.suppressed else str(self.value)

    @property
    def reason(self) -> str:
        """Why the cell is hidden: :data:`SMALL`, :data:`PROTECTS_ANOTHER`, or "" when published."""
        if not self.suppressed:
            return ""
        return SMALL if self.primary else PROTECTS_ANOTHER


@dataclass(frozen=True)
class SafeTable:
    """A two-way table ready to publish. ``row_totals``/``column_totals`` are empty and
    ``grand_total`` is None when the table was protected with ``show_totals=False``."""

    rows: list[str]
    columns: list[str]
    cells: list[list[Cell]]
    row_totals: list[Cell]
    column_totals: list[Cell]
    grand_total: Cell | None

    @property
    def has_totals(self) -> bool:
        return self.grand_total is not None

    @property
    def has_suppressed(self) -> bool:
        """Whether any cell or total is hidden (a page then shows the legend of the marks)."""
        every = [c for line in self.cells for c in line] + self.row_totals + self.column_totals
        return any(c.suppressed for c in every) or (self.grand_total is not None and self.grand_total.suppressed)

    def lines(self, *, total_label: str = "Total") -> list[tuple[str, list[Cell]]]:
        """Body rows and (with totals) the totals row as ``(label, cells)``, each row's total last:
        the cells themselves, so that a page can mark small and secondary cells differently."""
        out = []
        for index, name in enumerate(self.rows):
            cells = list(self.cells[index])
            if self.grand_total is not None:
                cells.append(self.row_totals[index])
            out.append((name, cells))
        if self.grand_total is not None:
            out.append((total_label, [*self.column_totals, self.grand_total]))
        return out

    def as_rows(self, *, total_label: str = "Total", corner: str = "") -> list[list[str]]:
        """Header row, body rows and (with totals) the totals row, as strings for CSV/XLSX.

        Pass a translated ``total_label`` from the view; this module does not translate."""
        header = [corner, *self.columns]
        if self.grand_total is not None:
            header.append(total_label)
        out = [header]
        for index, name in enumerate(self.rows):
            line = [name, *(str(cell) for cell in self.cells[index])]
            if self.grand_total is not None:
                line.append(str(self.row_totals[index]))
            out.append(line)
        if self.grand_total is not None:
            out.append([total_label, *(str(c) for c in self.column_totals), str(self.grand_total)])
        return out


@dataclass(frozen=True)
class SafeSeries:
    """A one-way table (label → count) with its total, ready to publish."""

    labels: list[str]
    cells: list[Cell]
    total: Cell | None

    def items(self) -> list[tuple[str, Cell]]:
        return list(zip(self.labels, self.cells, strict=True))

    @property
    def has_suppressed(self) -> bool:
        return any(c.suppressed for c in self.cells) or (self.total is not None and self.total.suppressed)

    def as_rows(self, *, total_label: str = "Total", header: Sequence[str] | None = None) -> list[list[str]]:
        """Optional header row, one ``[label, value]`` row per cell and the total row."""
        out = [list(header)] if header is not None else []
        out.extend([label, str(cell)] for label, cell in self.items())
        if self.total is not None:
            out.append([total_label, str(self.total)])
        return out


# --- the problem -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """Counts as edges of a network. Each entry ``k`` is an edge ``tail → head`` carrying
    ``sign * values[k]``; at every node the carried amounts add up to zero, which is exactly
    the set of "line sums to its total" equations. ``lines`` lists those equations for the
    secondary-suppression heuristic, each with its total last."""

    values: dict[Key, int]
    ends: dict[Key, tuple[int, int]]
    sign: dict[Key, int]
    lines: list[list[Key]]
    marginal: frozenset[Key]


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise TypeError("threshold must be an integer")
    if threshold < 3:
        # With threshold 2 the label "<2" would itself reveal the value 1.
        raise ValueError("threshold must be at least 3")


def _check_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"counts must be integers, not {value!r}")
    if value < 0:
        raise ValueError(f"counts cannot be negative: {value}")
    return value


def _table_problem(grid: list[list[int]]) -> _Problem:
    """``grid`` is the body with its totals column and totals row appended."""
    last_row = len(grid) - 1
    last_col = len(grid[0]) - 1
    first_col_node = last_row + 1
    values: dict[Key, int] = {}
    ends: dict[Key, tuple[int, int]] = {}
    sign: dict[Key, int] = {}
    for i, line in enumerate(grid):
        for j, value in enumerate(line):
            values[i, j] = value
            ends[i, j] = (i, first_col_node + j)
            # Body cells and the grand total enter their equations with +1, margins with -1.
            sign[i, j] = -1 if (i == last_row) != (j == last_col) else 1
    rows = [[(i, j) for j in range(last_col + 1)] for i in range(last_row + 1)]
    cols = [[(i, j) for i in range(last_row + 1)] for j in range(last_col + 1)]
    marginal = frozenset(k for k in values if k[0] == last_row or k[1] == last_col)
    return _Problem(values, ends, sign, rows + cols, marginal)


def _series_problem(counts: list[int]) -> _Problem:
    """Cells and the total as parallel edges between two nodes: ``sum(cells) - total = 0``."""
    n = len(counts)
    values: dict[Key, int] = {(0, j): v for j, v in enumerate(counts)}
    values[0, n] = sum(counts)
    ends = dict.fromkeys(values, (0, 1))
    sign = {k: (-1 if k == (0, n) else 1) for k in values}
    return _Problem(values, ends, sign, [sorted(values)], frozenset({(0, n)}))


# --- the exact check ---------------------------------------------------------------------------


def _moves(value: int, primary: bool, threshold: int) -> tuple[bool, bool]:
    """Can a hidden count go up by one / down by one and stay in the range an attacker knows:
    1..threshold-1 when hidden as small, threshold.. when hidden as secondary (never 0)."""
    if primary:
        return value + 1 <= threshold - 1, value - 1 >= 1
    return True, value - 1 >= threshold


def _residual(p: _Problem, hidden: set[Key], primary: set[Key], threshold: int) -> dict[int, list[tuple[int, Key]]]:
    """Arcs ``node → (node, entry)``: ``tail → head`` when the entry's carried amount can grow
    by one, ``head → tail`` when it can shrink by one."""
    graph: dict[int, list[tuple[int, Key]]] = {}
    for k in sorted(hidden):
        up, down = _moves(p.values[k], k in primary, threshold)
        if p.sign[k] < 0:
            up, down = down, up
        tail, head = p.ends[k]
        if up:
            graph.setdefault(tail, []).append((head, k))
        if down:
            graph.setdefault(head, []).append((tail, k))
    return graph


def _reaches(graph: dict[int, list[tuple[int, Key]]], start: int, goal: int, skip: Key) -> bool:
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt, k in graph.get(node, ()):
            if k == skip or nxt in seen:
                continue
            if nxt == goal:
                return True
            seen.add(nxt)
            queue.append(nxt)
    return False


def _movable(p: _Problem, graph: dict[int, list[tuple[int, Key]]], k: Key) -> bool:
    """Whether hidden entry ``k`` lies on a cycle of feasible unit moves, i.e. whether another
    solution with a different value of ``k`` exists (exact for network equations with
    interval ranges: any two integer solutions differ by a sum of such unit cycles)."""
    tail, head = p.ends[k]
    arcs = graph.get(tail, []), graph.get(head, [])
    grows = any(key == k for _, key in arcs[0])
    shrinks = any(key == k for _, key in arcs[1])
    return (grows and _reaches(graph, head, tail, k)) or (shrinks and _reaches(graph, tail, head, k))


def _pinned(p: _Problem, hidden: set[Key], primary: set[Key], threshold: int) -> list[Key]:
    """Hidden entries whose exact value follows from what is published, in order."""
    graph = _residual(p, hidden, primary, threshold)
    return [k for k in sorted(hidden) if not _movable(p, graph, k)]


# --- suppression -------------------------------------------------------------------------------


def _close_lines(p: _Problem, hidden: set[Key]) -> None:
    """The classic pass: a line (equation) with exactly one hidden entry gives it away, so hide
    the smallest published non-zero entry of that line, preferring body cells to the line's own
    total; repeat until no line has exactly one hidden entry."""
    changed = True
    while changed:
        changed = False
        for line in p.lines:
            if sum(k in hidden for k in line) != 1:
                continue
            total = line[-1]
            candidates = [k for k in line if k not in hidden and p.values[k] > 0]
            if candidates:  # always true: a lone non-zero entry has a non-zero partner
                hidden.add(min(candidates, key=lambda k: (k == total, p.values[k], k)))
                changed = True


def _hide_more(p: _Problem, hidden: set[Key], primary: set[Key], threshold: int, target: Key) -> None:
    """Hide one more entry so that ``target`` (a pinned small count) gets a chance to move:
    first one from the target's own lines that alone frees it, then one from anywhere that
    alone frees it, else the best-ranked entry of the target's lines (or of the table)."""

    def rank(k: Key) -> tuple[bool, int, Key]:
        return (k in p.marginal, p.values[k], k)

    published = [k for k in p.values if k not in hidden and p.values[k] > 0]
    near = {k for line in p.lines if target in line for k in line}
    local = sorted((k for k in published if k in near), key=rank)
    anywhere = sorted(published, key=rank)
    for candidate in (*local, *anywhere):
        trial = hidden | {candidate}
        if _movable(p, _residual(p, trial, primary, threshold), target):
            hidden.add(candidate)
            return
    if not anywhere:  # unreachable: _suppress checks first that hiding everything is enough
        raise _Unprotectable([target])
    hidden.add((local or anywhere)[0])


def _suppress(p: _Problem, threshold: int) -> tuple[set[Key], set[Key]]:
    """Return (hidden, primary) entries."""
    primary = {k for k, v in p.values.items() if 1 <= v < threshold}
    if not primary:
        return set(), set()
    everything = {k for k, v in p.values.items() if v > 0}
    if doomed := [k for k in _pinned(p, everything, primary, threshold) if k in primary]:
        raise _Unprotectable(doomed)
    hidden = set(primary)
    while True:
        _close_lines(p, hidden)
        pinned = _pinned(p, hidden, primary, threshold)
        exposed = [k for k in pinned if k in primary]
        if not exposed:
            # A pinned secondary entry is already known exactly to anyone who does the sums:
            # publishing it adds no information (every solution has that value), so publish it.
            return hidden - set(pinned), primary
        _hide_more(p, hidden, primary, threshold, exposed[0])


def _cell(value: int, key: Key, hidden: set[Key], primary: set[Key], label: str) -> Cell:
    if key in hidden:
        small = key in primary
        return Cell(None, True, small, label if small else SECONDARY_MARK)
    return Cell(value, False, False, label)


_REFUSAL = "a small count would be recoverable even with every non-zero count and total hidden"


# --- public API --------------------------------------------------------------------------------


def protect_count(count: int, *, threshold: int = DEFAULT_THRESHOLD) -> Cell:
    """A single count published on its own (no total to recover it from)."""
    _check_threshold(threshold)
    value = _check_count(count)
    small = 1 <= value < threshold
    return Cell(None if small else value, small, small, f"<{threshold}")


def protect(
    counts: Sequence[Sequence[int]],
    rows: Sequence[str],
    columns: Sequence[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    show_totals: bool = True,
) -> SafeTable:
    """Protect a two-way table of counts (``counts[i][j]`` for ``rows[i]`` x ``columns[j]``).

    Row totals, column totals and the grand total are computed here (never pass them in) and
    are subject to the same rule. Raises ValueError for negative counts or mismatched shapes,
    TypeError for non-integers and :class:`DisclosureError` when no suppression pattern can
    protect the table with its totals shown.
    """
    _check_threshold(threshold)
    rows, columns = list(rows), list(columns)
    if len(counts) != len(rows):
        raise ValueError(f"{len(counts)} rows of counts for {len(rows)} row labels")
    body: list[list[int]] = []
    for line in counts:
        if len(line) != len(columns):
            raise ValueError(f"a row has {len(line)} counts for {len(columns)} columns")
        body.append([_check_count(v) for v in line])
    label = f"<{threshold}"

    if not show_totals:
        # No equations: each cell stands alone and "<5" (1..4, several values) is all one learns.
        def alone(v: int) -> Cell:
            small = 1 <= v < threshold
            return Cell(None if small else v, small, small, label)

        cells = [[alone(v) for v in line] for line in body]
        return SafeTable(rows, columns, cells, [], [], None)

    grid = [[*line, sum(line)] for line in body]
    grid.append([sum(line[j] for line in grid) for j in range(len(columns) + 1)])
    n, m = len(rows), len(columns)
    try:
        hidden, primary = _suppress(_table_problem(grid), threshold)
    except _Unprotectable as error:
        where = [(rows[i] if i < n else None, columns[j] if j < m else None) for i, j in error.keys]
        raise DisclosureError(_REFUSAL, where) from None

    def at(i: int, j: int) -> Cell:
        return _cell(grid[i][j], (i, j), hidden, primary, label)

    return SafeTable(
        rows=rows,
        columns=columns,
        cells=[[at(i, j) for j in range(m)] for i in range(n)],
        row_totals=[at(i, m) for i in range(n)],
        column_totals=[at(n, j) for j in range(m)],
        grand_total=at(n, m),
    )


def protect_series(
    counts: Mapping[str, int],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    show_total: bool = True,
) -> SafeSeries:
    """Protect a one-way table (label → count, in the mapping's order) and its total.

    With the total shown a single hidden cell would be total minus the rest, so secondary
    suppression applies exactly as for :func:`protect`.
    """
    _check_threshold(threshold)
    labels = list(counts)
    values = [_check_count(counts[label]) for label in labels]
    label = f"<{threshold}"
    if not show_total:
        return SafeSeries(labels, [protect_count(v, threshold=threshold) for v in values], None)
    problem = _series_problem(values)
    n = len(values)
    try:
        hidden, primary = _suppress(problem, threshold)
    except _Unprotectable as error:
        where = [(labels[j] if j < n else None, None) for _, j in error.keys]
        raise DisclosureError(_REFUSAL, where) from None
    cells = [_cell(v, (0, j), hidden, primary, label) for j, v in enumerate(values)]
    return SafeSeries(labels, cells, _cell(problem.values[0, n], (0, n), hidden, primary, label))
