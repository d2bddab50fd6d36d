"""Seed-to-seed spread of an experiment, and whether a difference stands out of it.

A difference of a few tenths of a dB between two training recipes means nothing until it
is set beside the spread of each recipe over several seeds. Notebooks 02 and 03 run every
variant with several seeds, then :func:`spread` summarises and :func:`verdict` compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd


def spread(rows: Iterable[Mapping], value: str = "gain (dB)", *, by: str = "variant",
           first: Iterable[str] = (), mean: Iterable[str] = ()) -> pd.DataFrame:
    """Mean, sample standard deviation, range and number of seeds of ``value`` per variant.

    Parameters
    ----------
    rows : iterable of dict
        One dict per (variant, seed) run, with the keys ``by`` and ``value``.
    value : str
        The measured column (e.g. ``"gain (dB)"``).
    by : str
        The column naming the variant; variants keep their first-seen order.
    first, mean : iterable of str
        Other columns to carry: ``first`` takes the first run's value (e.g. parameters,
        the same for every seed), ``mean`` the mean over seeds (e.g. steps trained); the
        mean of an integer column is rounded to an integer (a count stays a count).

    Returns
    -------
    pandas.DataFrame
        Indexed by variant: the ``first`` and ``mean`` columns, then ``mean``, ``std``
        (sample, ddof=1; NaN for one seed), ``min``, ``max`` of ``value``, and ``seeds``
        (an integer count).

    Raises
    ------
    ValueError
        If there are no rows, or a row lacks ``by`` or ``value``.
    """
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        raise ValueError("spread() needs at least one row (one run of one variant)")
    missing = [key for key in (by, value, *first, *mean) if key not in frame.columns]
    if missing:
        raise ValueError(f"rows lack the column(s) {missing}; they have {list(frame.columns)}")
    groups = frame.groupby(by, sort=False)
    means = groups[list(mean)].mean()
    for key in mean:
        if pd.api.types.is_integer_dtype(frame[key]):
            means[key] = means[key].round().astype(int)
    table = pd.concat([groups[list(first)].first(), means,
                       groups[value].agg(["mean", "std", "min", "max"])], axis=1)
    table["seeds"] = groups.size().astype(int)
    return table


def verdict(table: pd.DataFrame, a: str, b: str, unit: str = "dB") -> str:
    """One sentence: does variant ``a`` differ from ``b`` by more than twice the spread?

    The rule (a rough screen, not a significance test): the difference of the means must
    exceed twice the larger of the two seed-to-seed standard deviations. With one seed on
    either side there is no spread, and the sentence says there is no conclusion.

    Parameters
    ----------
    table : pandas.DataFrame
        As returned by :func:`spread`.
    a, b : str
        Variant names (index labels of ``table``).
    unit : str
        Unit printed after the numbers.

    Raises
    ------
    KeyError
        If ``a`` or ``b`` is not a variant of the table (the message lists them).
    """
    for name in (a, b):
        if name not in table.index:
            raise KeyError(f"no variant {name!r}; the table has {list(table.index)}")
    diff = table.loc[a, "mean"] - table.loc[b, "mean"]
    if min(table.loc[a, "seeds"], table.loc[b, "seeds"]) < 2:
        return f"{a} vs {b}: {diff:+.2f} {unit} from one seed each: no spread, no conclusion"
    noise = max(table.loc[a, "std"], table.loc[b, "std"])
    if abs(diff) > 2 * noise:
        return (f"{a} {'beats' if diff > 0 else 'trails'} {b} by {abs(diff):.2f} {unit} "
                f"(more than twice the larger seed-to-seed spread, {noise:.2f} {unit})")
    return (f"{a} vs {b}: {diff:+.2f} {unit}, within twice the larger seed-to-seed spread "
            f"({noise:.2f} {unit}): no difference shown")
