"""Retention figures for a period: movements (new, expansion, contraction, churn,
reactivation, currency effect), cohort NRR and GRR, logo churn, churn reasons and tenure,
in integer minor units of one reporting currency.
"""
