"""The consumer side: owned accounts in memory, kept scored as events arrive and time passes."""
