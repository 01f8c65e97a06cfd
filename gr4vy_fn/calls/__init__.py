"""The calls: the attempt engine (retries, deadline, the create's rule) and its sync and async drivers."""
