"""The one spec loader every part of the harness uses, and the spec linter."""

from .loader import LIVE_SPEC_URL, default_spec_source, load_document, repo_root
from .model import Operation, Spec, load_spec

__all__ = ["LIVE_SPEC_URL", "Operation", "Spec", "default_spec_source", "load_document", "load_spec", "repo_root"]
