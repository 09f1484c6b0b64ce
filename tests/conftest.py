"""Test configuration: hypothesis settings profiles and the ``slow`` marker.

Choose a profile with ``HYPOTHESIS_PROFILE=dev`` (few examples, for quick runs) or
``HYPOTHESIS_PROFILE=thorough``; the default is ``ci``.
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
# CI draws the same examples every run (a red CI must mean a change, not a new random draw);
# run HYPOTHESIS_PROFILE=thorough locally to search wider
settings.register_profile("ci", max_examples=40, derandomize=True, **_COMMON)
settings.register_profile("dev", max_examples=10, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes a few seconds (large standard games)")
