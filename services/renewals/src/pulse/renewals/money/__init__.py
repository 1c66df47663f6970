"""Money of the renewals core: integer minor units per currency and a dated rate table.

Amounts arrive as decimals in major units; they become integers once, at the edge, and
every figure after that is integer arithmetic.
"""
