"""SQL of the alerts service: what its tables hold and every statement on them."""
