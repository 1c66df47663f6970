"""Every rule watching one account, and the alert changes that follow: pure, no I/O."""
