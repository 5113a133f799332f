"""The claim side: proof API (`serve`), static proof hosting (`export-static`), the reference
claim page and `publish` (root on chain). Reads output folders written by `tree build`/`run`;
never writes into them (their bytes are covered by the manifest, D7)."""
