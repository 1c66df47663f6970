"""Pulse alerts service: Fires risk playbooks when rules trip and delivers them as signed
webhooks.
"""
