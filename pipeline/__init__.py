"""The operator's workflow: run an epoch, verify it, compare options (whatif), the demo."""
