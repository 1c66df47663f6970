"""Pulse renewals service: Forecasts renewals (risk-adjusted ARR) and measures retention
(NRR, GRR, churn).
"""
