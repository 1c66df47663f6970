"""Contract timelines: each account's contract changes in effective-time order, and the ARR
they leave in force at any moment, whatever order the changes arrived in.
"""
