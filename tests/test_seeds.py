"""srkit.seeds: the seed-spread table and its verdict, against hand-computed statistics."""

import numpy as np
import pytest

from srkit import seeds


def rows(variant, gains, steps=100, parameters=8129):
    return [{"variant": variant, "seed": k, "gain (dB)": g, "steps": steps + k, "parameters": parameters}
            for k, g in enumerate(gains)]


def test_spread_matches_hand_statistics_and_keeps_counts_integer():
    table = seeds.spread(rows("a", [1.0, 1.2, 1.1]) + rows("b", [0.5, 0.7]),
                         first=["parameters"], mean=["steps"])
    assert list(table.index) == ["a", "b"]                       # first-seen order
    assert table.loc["a", "mean"] == pytest.approx(1.1)
    assert table.loc["a", "std"] == pytest.approx(np.std([1.0, 1.2, 1.1], ddof=1))
    assert (table.loc["b", "min"], table.loc["b", "max"]) == (0.5, 0.7)
    assert table.loc["a", "seeds"] == 3 and table.loc["b", "seeds"] == 2
    # counts stay integers: the mean of 100, 101, 102 steps prints as 101, not 101.0000
    assert table["steps"].dtype.kind == "i" and table.loc["a", "steps"] == 101
    assert table["seeds"].dtype.kind == "i" and table["parameters"].dtype.kind == "i"


def test_verdict_needs_a_difference_beyond_twice_the_spread():
    table = seeds.spread(rows("wide", [1.0, 1.4, 0.6]) + rows("close", [0.9, 0.95, 0.85])
                         + rows("far", [3.0, 3.1, 2.9]) + rows("one", [5.0]))
    assert "no difference shown" in seeds.verdict(table, "close", "wide")
    assert seeds.verdict(table, "far", "close").startswith("far beats close by 2.10 dB")
    assert seeds.verdict(table, "close", "far").startswith("close trails far")
    assert "no spread, no conclusion" in seeds.verdict(table, "one", "far")


def test_errors_say_what_is_missing():
    with pytest.raises(ValueError, match="at least one row"):
        seeds.spread([])
    with pytest.raises(ValueError, match=r"lack the column\(s\) \['gain \(dB\)'\]"):
        seeds.spread([{"variant": "a", "psnr": 1.0}])
    table = seeds.spread(rows("a", [1.0, 1.1]))
    with pytest.raises(KeyError, match="no variant 'b'"):
        seeds.verdict(table, "a", "b")
