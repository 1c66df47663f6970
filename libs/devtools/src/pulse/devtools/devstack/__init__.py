"""`pulse dev`: the embedded broker, PostgreSQL and the four services as one command."""

from pulse.devtools.devstack.config import DevStackSettings
from pulse.devtools.devstack.stack import DevStackError, run_dev

__all__ = ["DevStackError", "DevStackSettings", "run_dev"]
