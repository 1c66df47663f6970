"""Kafka helpers: the producer, topic administration and the consumer runner."""
