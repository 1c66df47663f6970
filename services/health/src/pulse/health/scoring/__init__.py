"""The pure domain of the health service: scoring models, account state and scores.

No I/O and no clock: time is always a parameter. `model` reads and checks scoring models,
`state` keeps what scoring needs per account, `score` turns both into an explained score.
"""
