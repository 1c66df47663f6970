"""One account as renewals keeps it: its `account.updated` facts over time, its contract
timeline, its recent health scores and its renewal standing. Pure: events in, state out."""
