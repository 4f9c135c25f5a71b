"""LOAD: the site folder → a validated :class:`~generator.load.loader.Site` (config, groups,
their lists and pages), with every problem located by file and field path; the checks
(warnings) a valid site can still deserve; what follows from a group (theme, locales)."""
