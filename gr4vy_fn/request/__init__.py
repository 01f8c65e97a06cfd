"""The request side, pure: `prepare` adds URL, auth and headers to a Request built by gr4vy_fn.operations."""
