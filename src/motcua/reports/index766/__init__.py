"""QĐ 766/QĐ-TTg real-time service index (shared/domain.md §5).

Entry point: ``compute(period, units=None, *, now=None, weights=None) -> IndexResult`` (see its
docstring); ``drilldown`` lists what cost a unit its points on one indicator. ``scoring`` is the pure
arithmetic, ``queries`` the SQL, ``config`` the weights in force.
"""

from motcua.reports.index766.compute import IndexResult, UnitRow, compute  # noqa: F401
