"""Pure rule evaluation of the alerts service: definitions, windows, transitions, reasons.

Nothing here reads the clock, a broker or a database: time is always passed in.
"""
