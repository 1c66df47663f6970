"""The pure core of webhook delivery: signing, secret rotation, retry timing, when to
disable a subscription, and which destinations are refused.

No I/O, no clock and no randomness of its own: the moment and any random source are
parameters, so the delivery loop that does the HTTP and the SQL stays thin and every
decision here is testable on its own. See README.md for the formats and policies.
"""
