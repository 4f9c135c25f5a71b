"""PUBLISH: the only writer. Output files (:mod:`.output`), atomic files and swaps
(:mod:`.atomic`), the manifest, incremental carry-over and the spare tree, OUT's checks,
the private cache beside OUT."""
