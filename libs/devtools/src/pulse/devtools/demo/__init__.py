"""`pulse demo`: the whole stack at work in a few minutes, told in the terminal.

`command` runs it: a local webhook receiver (`receiver`) subscribes to alerts, a simulated
customer base goes through ingest, alerts are shown as their webhooks arrive, then a summary
read from the services' APIs (`summary`) is printed (`showing`, pure formatting)."""
