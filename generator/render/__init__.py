"""RENDER: planned pages → bytes. A :class:`~generator.render.environment.Renderer` owns the
Jinja environments and compiled templates; page contexts, embed snippets, the booking
flow's data; forked workers that load and render slices of groups."""
