"""The remote wing: `bookgen pull` and `bookgen push` against ClicRDV API v1.

- :mod:`.credentials`: the API key and Pro login (environment or files), redaction;
- :mod:`.transport`: one bounded exchange (deadline, size cap, retries, errors);
- :mod:`.client`: :class:`GroupAPI`, the documented paths, auth and list paging;
- :mod:`.pull`, :mod:`.push`: the two commands' logic; :mod:`.files`: all-or-nothing writes.

Errors are :class:`ApiError` (a :class:`~generator.errors.BookgenError`, with ``status``;
not a ``SiteError``: an API outage is not a fault of the site)::

    BookgenError
     └── ApiError   (HTTP status, timeout, deadline, size cap, bad envelope, bad URL)
"""

from .client import PRODUCTION_API, GroupAPI, check_api_url
from .credentials import Credentials, read_credentials, redact
from .transport import ApiError, Limits, RetryPolicy

__all__ = [
    "PRODUCTION_API",
    "ApiError",
    "Credentials",
    "GroupAPI",
    "Limits",
    "RetryPolicy",
    "check_api_url",
    "read_credentials",
    "redact",
]
