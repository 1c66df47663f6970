"""The renewal forecast: accounts renewing in a window, their forecast category, renewal
probability and risk-adjusted ARR, totals by category, and when an account enters at risk.
"""
