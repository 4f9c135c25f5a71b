"""``bookgen gateway``: the production booking server between static pages and ClicRDV.

Public surface: :func:`create_app` (an ASGI app for given :class:`Settings`),
:meth:`Settings.from_env`, and :mod:`generator.gateway.asgi` (env-configured, for any
ASGI server). See ``docs/deploy.md``.
"""

from .app import create_app
from .errors import ConfigError, GatewayError
from .settings import Settings

__all__ = ["ConfigError", "GatewayError", "Settings", "create_app"]
