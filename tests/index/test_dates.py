"""Dates that cannot be stored or compared are refused as dates (a ValueError naming them), never
an OverflowError or a datetime that fails later."""

import pytest

from index.ingest.dates import parse_date


@pytest.mark.parametrize("value", ["Mon, 01 Jan 99999999999 00:00:00 +0000", "2025-06-03T00:00:00+25:00",
                                   "2025-06-03T00:00:00-24:30"])
def test_a_date_out_of_range_is_a_value_error_naming_it(value: str) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_date(value)


def test_the_extremes_that_can_be_stored_are_read() -> None:
    assert parse_date("9999-12-30T00:00:00-23:00") is not None
    assert parse_date("Tue, 03 Jun 2025 14:30:00 +0200").isoformat() == "2025-06-03T14:30:00+02:00"  # type: ignore[union-attr]
