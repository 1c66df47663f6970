"""`pulse dev`: the embedded broker, PostgreSQL and the four services as one command."""

from pulse.common.devstack.config import DevStackSettings
from pulse.common.devstack.stack import DevStackError, run_dev

__all__ = ["DevStackError", "DevStackSettings", "run_dev"]
