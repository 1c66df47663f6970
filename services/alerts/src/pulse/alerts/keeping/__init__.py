"""The alert keeper: applies consumed messages to account watches, steps them on time,
and writes alerts, all in the consumer runner's transactions."""
