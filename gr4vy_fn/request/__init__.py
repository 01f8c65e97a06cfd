"""The request side, pure: a builder per operation makes a Request; `prepare` adds URL and headers."""
