"""The one spec loader every part of the harness uses, and the spec linter."""

from .loader import LIVE_SPEC_URL, PINNED_SPEC, default_spec_source, load_document, resolve_source
from .model import MissingOperation, Operation, Spec, load_spec

__all__ = ["LIVE_SPEC_URL", "PINNED_SPEC", "MissingOperation", "Operation", "Spec", "default_spec_source",
           "load_document", "load_spec", "resolve_source"]
