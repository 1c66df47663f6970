"""Re-scoring archived history with any scoring model, without touching live scores."""
