"""The processor's settings from the environment: defaults, and clear errors for values it cannot use."""

import pytest

from services.dlq.config import DlqConfig
from services.dlq.domain.triage import RetryPolicy


def test_defaults_wait_for_longer_outages_than_the_consumers_backoff() -> None:
    config = DlqConfig.from_env({})
    assert config.policy == RetryPolicy(max_retries=3, delays=(60.0, 300.0, 900.0))
    assert config.follow_up_interval == 0.5


def test_values_are_read_from_the_environment() -> None:
    config = DlqConfig.from_env(
        {
            "A4CO_DLQ_MAX_RETRIES": "5",
            "A4CO_DLQ_RETRY_DELAYS": "1, 2.5,10",
            "A4CO_DLQ_FOLLOW_UP_INTERVAL": "0.1",
        }
    )
    assert config.policy == RetryPolicy(max_retries=5, delays=(1.0, 2.5, 10.0))
    assert config.follow_up_interval == 0.1


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"A4CO_DLQ_MAX_RETRIES": "three"}, "A4CO_DLQ_MAX_RETRIES='three': expected a whole number"),
        ({"A4CO_DLQ_MAX_RETRIES": "-1"}, "max_retries must be 0 or more"),
        ({"A4CO_DLQ_RETRY_DELAYS": "1m,5m"}, "A4CO_DLQ_RETRY_DELAYS='1m,5m': expected seconds"),
        ({"A4CO_DLQ_RETRY_DELAYS": "-5"}, "delays must be one or more non-negative seconds"),
        ({"A4CO_DLQ_FOLLOW_UP_INTERVAL": "0"}, "must be more than 0"),
        ({"A4CO_DLQ_FOLLOW_UP_INTERVAL": "soon"}, "expected seconds"),
    ],
)
def test_a_value_it_cannot_use_stops_it_with_the_variables_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        DlqConfig.from_env(env)
