"""`python -m gr4vy_fn`: the demo, the emulator, the sessions commands and token minting."""

from ._cli import main

raise SystemExit(main())
