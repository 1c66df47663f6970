"""Pulse's Grafana dashboards, written with grafana-foundation-sdk's typed builders.

`pulse dashboards` renders them to deploy/grafana/dashboards/*.json; never edit those
files by hand. `panels` holds the shared panel and variable builders, one module per
dashboard builds it, `rendering` turns them into the committed JSON.
"""
