"""Pulse health service: Keeps an explained, multi-dimensional health score per account,
current within seconds.
"""
