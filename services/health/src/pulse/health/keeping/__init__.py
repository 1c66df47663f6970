"""The consumer side: applying consumed events to the owned accounts kept in memory, and
keeping their scores current as events arrive, time passes and the model changes."""
