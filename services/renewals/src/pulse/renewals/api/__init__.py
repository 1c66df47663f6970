"""Renewals' HTTP API (design §4): forecast, retention and books of business."""
