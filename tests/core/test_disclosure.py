"""Disclosure control: small counts are hidden and no hidden count can be worked out.

The central properties are checked by an attacker written here from scratch (a constraint
search over the published table), not by the module's own checker.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from hamkori.core.disclosure import (
    Cell,
    DisclosureError,
    SafeSeries,
    SafeTable,
    protect,
    protect_count,
    protect_series,
)

T = 5  # the default threshold

Pos = tuple[int, int]
Term = tuple[Pos, int]


# --- the attacker ------------------------------------------------------------------------------


@dataclass
class Attack:
    """What an attacker knows: the published numbers, the equations between them and, for each
    hidden entry, an integer range (hidden as small: 1..T-1; hidden as secondary: T..cap, since
    zeros are always published and 1..T-1 would have been primary). This is at least as much as a
    reader knows, so "two values survive" here implies the same for any real reader. ``cap``
    only limits the search (more values can only help the defender); callers set it above every
    true count, so a second value found inside it is a second value, full stop.
    """

    domains: dict[Pos, tuple[int, int]]
    equations: list[tuple[list[Term], int]]  # sum(coef * x) + constant == 0

    def _bounds(self, assign: dict[Pos, int], key: Pos) -> tuple[int, int]:
        low, high = self.domains[key]
        for terms, constant in self.equations:
            coef = dict(terms).get(key)
            if coef is None:
                continue
            rest_low = rest_high = constant
            for other, c in terms:
                if other == key:
                    continue
                if other in assign:
                    rest_low += c * assign[other]
                    rest_high += c * assign[other]
                else:
                    a, b = self.domains[other]
                    rest_low += c * a if c > 0 else c * b
                    rest_high += c * b if c > 0 else c * a
            # coef * x == -rest, with rest in [rest_low, rest_high] and coef = +1 or -1
            if coef > 0:
                low, high = max(low, -rest_high), min(high, -rest_low)
            else:
                low, high = max(low, rest_low), min(high, rest_high)
        return low, high

    def _consistent(self, assign: dict[Pos, int]) -> bool:
        for terms, constant in self.equations:
            low = high = constant
            for key, c in terms:
                if key in assign:
                    low += c * assign[key]
                    high += c * assign[key]
                else:
                    a, b = self.domains[key]
                    low += c * a if c > 0 else c * b
                    high += c * b if c > 0 else c * a
            if low > 0 or high < 0:
                return False
        return True

    def solve(self, avoid: tuple[Pos, int] | None = None) -> dict[Pos, int] | None:
        """One solution (with ``avoid[0] != avoid[1]`` if given), by exhaustive search."""
        order = sorted(self.domains)
        assign: dict[Pos, int] = {}

        def search(index: int) -> dict[Pos, int] | None:
            if index == len(order):
                return dict(assign)
            key = order[index]
            low, high = self._bounds(assign, key)
            for value in range(low, high + 1):
                if avoid is not None and key == avoid[0] and value == avoid[1]:
                    continue
                assign[key] = value
                if self._consistent(assign) and (found := search(index + 1)) is not None:
                    return found
                del assign[key]
            return None

        return search(0)

    def recovered(self) -> dict[Pos, int]:
        """Hidden entries with only one possible value, and that value."""
        first = self.solve()
        assert first is not None, "the true table is always a solution"
        return {k: v for k, v in first.items() if self.solve(avoid=(k, v)) is None}


def _published_grid(table: SafeTable) -> list[list[Cell]]:
    assert table.grand_total is not None
    grid = [[*line, total] for line, total in zip(table.cells, table.row_totals, strict=True)]
    grid.append([*table.column_totals, table.grand_total])
    return grid


def attack_table(table: SafeTable, cap: int) -> Attack:
    grid = _published_grid(table)
    last_row, last_col = len(grid) - 1, len(grid[0]) - 1
    domains = {
        (i, j): ((1, T - 1) if cell.primary else (T, cap))
        for i, line in enumerate(grid)
        for j, cell in enumerate(line)
        if cell.suppressed
    }

    def equation(entries: list[tuple[Pos, int]]) -> tuple[list[Term], int]:
        terms: list[Term] = []
        constant = 0
        for (i, j), coef in entries:
            cell = grid[i][j]
            if cell.suppressed:
                terms.append(((i, j), coef))
            else:
                assert cell.value is not None
                constant += coef * cell.value
        return terms, constant

    equations = [
        equation([((i, j), 1) for j in range(last_col)] + [((i, last_col), -1)]) for i in range(last_row + 1)
    ] + [equation([((i, j), 1) for i in range(last_row)] + [((last_row, j), -1)]) for j in range(last_col + 1)]
    return Attack(domains, equations)


def attack_series(series: SafeSeries, cap: int) -> Attack:
    assert series.total is not None
    entries = [*series.cells, series.total]
    coefs = [1] * len(series.cells) + [-1]
    domains = {(0, j): ((1, T - 1) if cell.primary else (T, cap)) for j, cell in enumerate(entries) if cell.suppressed}
    terms = [((0, j), c) for j, (cell, c) in enumerate(zip(entries, coefs, strict=True)) if cell.suppressed]
    constant = sum(c * (cell.value or 0) for cell, c in zip(entries, coefs, strict=True) if not cell.suppressed)
    return Attack(domains, [(terms, constant)])


def full_grid(counts: list[list[int]]) -> list[list[int]]:
    grid = [[*line, sum(line)] for line in counts]
    width = len(counts[0]) + 1 if counts else 1
    grid.append([sum(line[j] for line in grid) for j in range(width)])
    return grid


def hide_nonzero(value: int) -> Cell:
    """The most a publisher could hide (zeros are always shown)."""
    return Cell(None, True, value < T) if value else Cell(0, False)


def names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(n)]


def entries(table: SafeTable) -> Iterator[tuple[Pos, Cell]]:
    for i, line in enumerate(_published_grid(table)):
        for j, cell in enumerate(line):
            yield (i, j), cell


# --- strategies --------------------------------------------------------------------------------

small_biased = st.one_of(st.integers(0, 6), st.integers(0, 30))


@st.composite
def tables(draw: st.DrawFn, max_rows: int, max_cols: int, values: st.SearchStrategy[int]):
    n = draw(st.integers(1, max_rows))
    m = draw(st.integers(1, max_cols))
    return draw(st.lists(st.lists(values, min_size=m, max_size=m), min_size=n, max_size=n))


# --- the attacker itself must be able to win -----------------------------------------------------


def test_attacker_recovers_a_cell_hidden_without_secondary_suppression() -> None:
    hidden = Cell(None, True, True)
    naive = SafeTable(
        rows=["a", "b"],
        columns=["x", "y"],
        cells=[[hidden, Cell(10, False)], [Cell(8, False), Cell(12, False)]],
        row_totals=[Cell(13, False), Cell(20, False)],
        column_totals=[Cell(11, False), Cell(22, False)],
        grand_total=Cell(33, False),
    )
    assert attack_table(naive, cap=34).recovered() == {(0, 0): 3}


def test_attacker_uses_the_ranges_not_only_the_equations() -> None:
    # 1 and 5 hidden, total 6 shown: the equations alone leave a free parameter, but the small
    # cell is >= 1 and the secondary one >= 5, so both are pinned.
    small, other = Cell(None, True, True), Cell(None, True, False)
    naive = SafeSeries(["a", "b"], [small, other], Cell(6, False))
    assert attack_series(naive, cap=7).recovered() == {(0, 0): 1, (0, 1): 5}


@settings(max_examples=60, deadline=None)
@given(tables(2, 2, st.integers(0, 5)), st.data())
def test_attacker_agrees_with_plain_enumeration(counts: list[list[int]], data: st.DataObject):
    """Cross-check the search against itertools.product on tiny tables and random patterns."""
    grid = full_grid(counts)
    keys = [(i, j) for i in range(len(grid)) for j in range(len(grid[0]))]
    hide = data.draw(st.sets(st.sampled_from(keys)))
    hide |= {k for k in keys if 1 <= grid[k[0]][k[1]] < T}
    hide = {k for k in hide if grid[k[0]][k[1]] > 0}

    def cell(i: int, j: int) -> Cell:
        if (i, j) in hide:
            return Cell(None, True, grid[i][j] < T)
        return Cell(grid[i][j], False)

    n, m = len(counts), len(counts[0])
    table = SafeTable(
        names("r", n),
        names("c", m),
        [[cell(i, j) for j in range(m)] for i in range(n)],
        [cell(i, m) for i in range(n)],
        [cell(n, j) for j in range(m)],
        cell(n, m),
    )
    cap = grid[n][m] + 1
    attack = attack_table(table, cap)
    body = [k for k in sorted(hide) if k[0] < n and k[1] < m]
    seen: dict[Pos, set[int]] = {k: set() for k in hide}
    ranges = [range(attack.domains[k][0], attack.domains[k][1] + 1) for k in body]
    for values in itertools.product(*ranges):
        trial = [line[:] for line in grid]
        for (i, j), v in zip(body, values, strict=True):
            trial[i][j] = v
        for i in range(n):
            trial[i][m] = sum(trial[i][:m])
        for j in range(m + 1):
            trial[n][j] = sum(trial[i][j] for i in range(n))
        ok = all(
            (k in hide and attack.domains[k][0] <= trial[k[0]][k[1]] <= attack.domains[k][1])
            or (k not in hide and trial[k[0]][k[1]] == grid[k[0]][k[1]])
            for k in keys
        )
        if ok:
            for k in hide:
                seen[k].add(trial[k[0]][k[1]])
    expected = {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
    assert attack.recovered() == expected


# --- the central property ----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(tables(3, 4, st.one_of(st.integers(0, 6), st.integers(0, 12))))
@example([[1, 1], [1, 1]])  # refused
@example([[1, 5]])  # needs the total hidden too
def test_no_hidden_cell_can_be_recovered(counts: list[list[int]]) -> None:
    grid = full_grid(counts)
    n, m = len(counts), len(counts[0])
    cap = grid[n][m] + 1
    try:
        table = protect(counts, names("r", n), names("c", m))
    except DisclosureError:
        # Refusal must be justified: with every non-zero entry hidden, a small one is still pinned.
        everything = SafeTable(
            names("r", n),
            names("c", m),
            [[hide_nonzero(grid[i][j]) for j in range(m)] for i in range(n)],
            [hide_nonzero(grid[i][m]) for i in range(n)],
            [hide_nonzero(grid[n][j]) for j in range(m)],
            hide_nonzero(grid[n][m]),
        )
        recovered = attack_table(everything, cap).recovered()
        assert any(1 <= grid[i][j] < T for i, j in recovered), recovered
        event("refused")
        return
    hidden = [cell for _, cell in entries(table) if cell.suppressed]
    event(f"secondary cells: {min(sum(not c.primary for c in hidden), 3)}+")
    assert attack_table(table, cap).recovered() == {}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 2), small_biased), min_size=1, max_size=8))
@example([1, 1, 0, 1, 1])  # refused
def test_no_hidden_series_cell_can_be_recovered(values: list[int]) -> None:
    counts = {f"k{i}": v for i, v in enumerate(values)}
    try:
        series = protect_series(counts)
    except DisclosureError as error:
        # Justified only if hiding every non-zero count and the total still gives one away.
        everything = SafeSeries(list(counts), [hide_nonzero(v) for v in values], hide_nonzero(sum(values)))
        recovered = attack_series(everything, cap=sum(values) + 1).recovered()
        assert any(1 <= v < T for v in recovered.values()), recovered
        assert error.cells
        event("refused")
        return
    for cell, value in zip(series.cells, values, strict=True):
        assert cell.suppressed or not 1 <= value < T
        assert cell.suppressed or cell.value == value
    assert series.total is not None
    assert series.total.suppressed or series.total.value == sum(values)
    assert attack_series(series, cap=sum(values) + 1).recovered() == {}


# --- bookkeeping properties on larger tables -----------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(tables(6, 6, small_biased))
def test_published_numbers_are_true_and_small_ones_hidden(counts: list[list[int]]) -> None:
    n, m = len(counts), len(counts[0])
    try:
        table = protect(counts, names("r", n), names("c", m))
    except DisclosureError:
        return  # justified refusals are checked against the attacker on smaller tables
    grid = full_grid(counts)
    assert table.as_rows()[0] == ["", *names("c", m), "Total"]
    for (i, j), cell in entries(table):
        true = grid[i][j]
        if 1 <= true < T:
            assert cell.suppressed and cell.primary and str(cell) == "<5"
        elif cell.suppressed:
            assert true >= T, "zeros are never hidden"
            assert not cell.primary
        else:
            assert cell.value == true
    # Published totals are the true sums of the true counts (the caller never passes totals).
    for i, total in enumerate(table.row_totals):
        assert total.suppressed or total.value == sum(counts[i])
    for j, total in enumerate(table.column_totals):
        assert total.suppressed or total.value == sum(line[j] for line in counts)
    # Classic necessary condition: no line (totals included) has exactly one hidden entry.
    grid_cells = _published_grid(table)
    lines = [list(line) for line in grid_cells] + [list(col) for col in zip(*grid_cells, strict=True)]
    assert all(sum(c.suppressed for c in line) != 1 for line in lines)


@settings(max_examples=100, deadline=None)
@given(tables(6, 6, small_biased))
def test_deterministic(counts: list[list[int]]) -> None:
    n, m = len(counts), len(counts[0])

    def run() -> SafeTable | str:
        try:
            return protect([line[:] for line in counts], names("r", n), names("c", m))
        except DisclosureError as error:
            return str(error)

    assert run() == run()


@settings(max_examples=100, deadline=None)
@given(tables(6, 6, small_biased))
def test_without_totals_only_small_cells_are_hidden(counts: list[list[int]]) -> None:
    n, m = len(counts), len(counts[0])
    table = protect(counts, names("r", n), names("c", m), show_totals=False)
    assert table.grand_total is None and table.row_totals == [] and table.column_totals == []
    for line, true_line in zip(table.cells, counts, strict=True):
        for cell, true in zip(line, true_line, strict=True):
            assert cell.suppressed == (1 <= true < T)
            assert cell.suppressed or cell.value == true
    assert table.as_rows()[0] == ["", *names("c", m)]


# --- examples ----------------------------------------------------------------------------------


def test_two_by_two_with_one_small_cell_hides_a_rectangle() -> None:
    table = protect([[3, 10], [8, 12]], ["a", "b"], ["x", "y"])
    assert [[c.suppressed for c in line] for line in table.cells] == [[True, True], [True, True]]
    assert [[c.primary for c in line] for line in table.cells] == [[True, False], [False, False]]
    assert [c.value for c in table.row_totals] == [13, 20]
    assert [c.value for c in table.column_totals] == [11, 22]
    assert table.grand_total == Cell(33, False)
    assert table.as_rows() == [
        ["", "x", "y", "Total"],
        ["a", "<5", "x", "13"],
        ["b", "x", "x", "20"],
        ["Total", "11", "22", "33"],
    ]


def test_secondary_cell_is_the_smallest_in_the_line() -> None:
    table = protect([[3, 20, 9], [6, 30, 40], [7, 50, 60]], list("abc"), list("xyz"))
    hidden = {(i, j) for i, line in enumerate(table.cells) for j, c in enumerate(line) if c.suppressed}
    assert hidden == {(0, 0), (0, 2), (1, 0), (1, 2)}
    assert all(not c.suppressed for c in table.row_totals + table.column_totals)


def test_series_hides_the_small_count_and_one_more() -> None:
    series = protect_series({"a": 3, "b": 10, "c": 12})
    assert [str(c) for c in series.cells] == ["<5", "x", "12"]
    assert [c.primary for c in series.cells] == [True, False, False]
    assert series.total == Cell(25, False)
    assert series.as_rows(header=["District", "Incidents"], total_label="Jami") == [
        ["District", "Incidents"],
        ["a", "<5"],
        ["b", "x"],
        ["c", "12"],
        ["Jami", "25"],
    ]


def test_series_hides_the_total_when_the_partner_cannot_move() -> None:
    # b = 5 cannot go down (it would become "small"), so hiding b alone would give a = 1 away.
    series = protect_series({"a": 1, "b": 5})
    assert [c.suppressed for c in series.cells] == [True, True]
    assert series.total is not None and series.total.suppressed


def test_all_zero_table_hides_nothing() -> None:
    table = protect([[0, 0, 0], [0, 0, 0]], ["a", "b"], list("xyz"))
    assert not any(cell.suppressed for _, cell in entries(table))
    assert table.as_rows()[-1] == ["Total", "0", "0", "0", "0"]


def test_zero_is_published_next_to_a_small_count() -> None:
    table = protect([[3, 0]], ["a"], ["x", "y"])
    assert table.as_rows() == [
        ["", "x", "y", "Total"],
        ["a", "<5", "0", "<5"],
        ["Total", "<5", "0", "<5"],
    ]


def test_small_totals_are_hidden_too() -> None:
    table = protect([[2, 0], [0, 0]], ["a", "b"], ["x", "y"])
    assert table.row_totals[0].suppressed and table.row_totals[0].primary
    assert table.grand_total is not None and table.grand_total.primary


def test_table_that_cannot_be_protected_is_refused() -> None:
    # Four hidden cells, each >= 1, under a grand total < 5: every cell must be 1.
    with pytest.raises(DisclosureError) as refused:
        protect([[1, 1], [1, 1]], ["a", "b"], ["x", "y"])
    assert ("a", "x") in refused.value.cells and (None, None) in refused.value.cells
    # Without totals the same counts are fine.
    table = protect([[1, 1], [1, 1]], ["a", "b"], ["x", "y"], show_totals=False)
    assert all(c.suppressed for line in table.cells for c in line)


def test_four_ones_under_a_small_total_are_refused() -> None:
    # Zeros are published, so each hidden count is >= 1; four of them under a total "<5" are 1.
    with pytest.raises(DisclosureError) as refused:
        protect_series({"a": 1, "b": 1, "c": 1, "d": 1, "e": 0})
    assert refused.value.cells[0] == ("a", None)
    with pytest.raises(DisclosureError) as refused:
        protect([[1, 1, 1, 1, 0], [3, 9, 9, 9, 9]], ["a", "b"], list("vwxyz"))
    assert ("a", None) in refused.value.cells
    # One more person anywhere in the row and the row can be protected.
    protect([[1, 1, 1, 2, 0], [3, 9, 9, 9, 9]], ["a", "b"], list("vwxyz"))
    assert protect_series({"a": 1, "b": 1, "c": 1, "d": 1}, show_total=False).total is None


def test_negative_counts_raise() -> None:
    with pytest.raises(ValueError, match="negative"):
        protect([[1, -2]], ["a"], ["x", "y"])
    with pytest.raises(ValueError, match="negative"):
        protect_series({"a": -1})
    with pytest.raises(ValueError, match="negative"):
        protect_count(-1)


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError):
        protect([[1, 2]], ["a"], ["x"])
    with pytest.raises(ValueError):
        protect([[1, 2]], ["a", "b"], ["x", "y"])
    with pytest.raises(TypeError):
        protect([[1.0, 2]], ["a"], ["x", "y"])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        protect([[1]], ["a"], ["x"], threshold=2)


def test_threshold_changes_the_label() -> None:
    table = protect([[7, 20], [30, 40]], ["a", "b"], ["x", "y"], threshold=10)
    assert str(table.cells[0][0]) == "<10"
    assert protect_count(9, threshold=10).suppressed
    assert str(protect_count(4)) == "<5"
    assert str(protect_count(0)) == "0"
    assert str(protect_count(5)) == "5"


def test_cell_never_carries_a_hidden_value() -> None:
    with pytest.raises(ValueError):
        Cell(3, True, True)
    with pytest.raises(ValueError):
        Cell(None, False)


def test_secondary_cells_have_their_own_mark_never_the_small_label() -> None:
    """A cell hidden only to protect another is 5 or more: labelling it "<5" would be untrue."""
    table = protect([[3, 10], [8, 12]], ["Vanj", "Isfara"], ["Women", "Men"])
    marks = [[(str(c), c.reason) for c in line] for line in table.cells]
    assert marks == [[("<5", "small"), ("x", "protects_another")], [("x", "protects_another")] * 2]
    truth = [[3, 10], [8, 12]]
    for i, line in enumerate(table.cells):
        for j, cell in enumerate(line):
            if truth[i][j] >= 5:
                assert str(cell) != "<5", (i, j)
    assert table.has_suppressed
    assert table.lines(total_label="Jami")[-1][0] == "Jami"
    assert [str(c) for c in table.lines()[0][1]] == ["<5", "x", "13"]
    assert Cell(7, False).reason == ""


def test_secondary_mark_follows_the_threshold() -> None:
    table = protect([[3, 10], [8, 12]], ["a", "b"], ["x", "y"], threshold=4)
    assert [[str(c) for c in line] for line in table.cells] == [["<4", "x"], ["x", "x"]]
