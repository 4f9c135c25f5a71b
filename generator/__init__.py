"""bookgen: localized static booking pages and embeddable widgets for ClicRDV groups."""

__version__ = "0.1.0"
