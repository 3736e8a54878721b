from datetime import timedelta

import pytest

from gateway.env import Rate, parse_rate


@pytest.mark.parametrize(
    ("text", "rate"),
    [("10/15m", Rate(10, 900)), ("30/1h", Rate(30, 3600)), ("5 / 90", Rate(5, 90))],
)
def test_rates_parse_as_count_per_duration(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["10", "ten/1h", "0/1h", "10/soon", "-1/1h"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError, match="not a"):
        parse_rate(text)


def test_the_default_limits_are_those_of_api_md(settings):
    loaded = (
        settings.LOGIN_LIMIT_PER_ACCOUNT,
        settings.LOGIN_LIMIT_PER_IP,
        settings.PASSWORD_RESET_TTL,
        settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"],
        settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"],
    )

    assert loaded == (
        Rate(10, 900),
        Rate(30, 900),
        timedelta(hours=1),
        timedelta(minutes=15),
        timedelta(days=30),
    )
