"""The consumer side: the keeper applying batches to account books, and the ticker."""
