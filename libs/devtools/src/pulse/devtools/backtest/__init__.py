"""`pulse model backtest`: re-score the archived history with a candidate model and
compare it with the active one (see docs/model-validation.md)."""
