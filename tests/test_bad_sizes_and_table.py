"""Smaller robustness items of issue 9 (item 11): sizes that cannot fit are named-argument
errors before allocating, and the verification table says which direction passes."""

from __future__ import annotations

import pytest


# -- sizes that cannot fit are refused by name before allocating (issue 9 item 11) -------------------


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda n: n.make_dataset("default", n=10**12), "n"),
        (lambda n: n.make_dataset("linear", n=10**6, d=10**6), "n, d"),
        (lambda n: n.gaussian_init((3, 10**7, 10**7), scale=1e-3), "dims"),
        (lambda n: n.power_init((3, 10**7, 10**7), alpha=1.0), "dims"),
    ],
)
def test_huge_sizes_are_named_errors_not_memory_errors(call, argument):
    import numerics

    with pytest.raises(ValueError, match=rf"^{argument}: .* GiB, more than this machine's"):
        call(numerics)


# -- the verify table says which direction passes (issue 9 item 11) ---------------------------------


def test_verify_table_states_the_pass_direction():
    from verify.result import CheckResult
    from verify.runner import format_table

    error = CheckResult("drift", True, 3e-15, 1e-13, {"criterion": "max drift <= tolerance"})
    margin = CheckResult("bounds", False, 0.5, 1 - 1e-10, {"criterion": "min ratio >= 1 - slack"})
    assert (error.direction, margin.direction) == ("<=", ">=")
    # the stated direction is the one that decides: PASS exactly when the comparison holds
    assert error.passed == (error.measured <= error.tolerance)
    assert margin.passed == (margin.measured >= margin.tolerance)
    table = format_table([error, margin]).splitlines()
    assert "passes if measured" in table[0]
    assert "<= 1e-13" in table[2] and "PASS" in table[2]
    assert ">= 0.9999999999" in table[3] and "FAIL" in table[3]
    assert error.to_dict()["passes_if"] == "<= 1e-13"
