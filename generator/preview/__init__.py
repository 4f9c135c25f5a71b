"""The preview wing (``bookgen serve``): rebuilds on edits, the HTTP server with live reload."""
