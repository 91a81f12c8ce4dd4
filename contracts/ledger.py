"""What the run created, so that it can all be deleted at the end, on success and on failure.

Every 2xx answer to a create (POST on a collection that has an item route) is read for the
resources it holds; each is recorded with the DELETE operation that removes it (the collection's
``{path}/{id}`` route, parent path parameters kept). A 2xx DELETE of a recorded resource, by the
fuzzing or by a workflow, strikes it off.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from voipbin_harness.spec import Operation, Spec

__all__ = ["Created", "Ledger"]


@dataclass(frozen=True)
class Created:
    delete: Operation
    path_parameters: tuple[tuple[str, str], ...]
    resource_id: str

    @property
    def params(self) -> dict[str, str]:
        return dict(self.path_parameters)


class Ledger:
    def __init__(self, spec: Spec) -> None:
        # "/flows" -> DELETE /flows/{id}; "/contacts/{id}/addresses" -> DELETE .../{address_id}
        self._delete_for: dict[str, Operation] = {
            op.path.rsplit("/", 1)[0]: op for op in spec.operations if op.role == "delete"
        }
        self._pending: dict[tuple[str, tuple[tuple[str, str], ...]], Created] = {}
        self._lock = threading.Lock()
        self.created = 0

    def record_create(self, operation: Operation, path_parameters: dict[str, Any], body: Any) -> list[Created]:
        """Record the resources a create answered with; the ones recorded are returned."""
        if not isinstance(body, dict):
            return []
        found: list[tuple[Operation | None, dict[str, Any], Any]] = []
        if "id" in body:
            found.append((self._delete_for.get(operation.path), dict(path_parameters), body["id"]))
        else:  # POST /calls answers {"calls": [...], "groupcalls": [...]}
            for key, value in body.items():
                if isinstance(value, list):
                    found += [(self._delete_for.get(f"/{key}"), {}, item["id"]) for item in value
                              if isinstance(item, dict) and "id" in item]
        recorded = []
        for delete, params, resource_id in found:
            if delete is None or not isinstance(resource_id, str) or not resource_id or not delete.path_params:
                continue
            full = {str(k): str(v) for k, v in params.items()}
            full[delete.path_params[-1]] = resource_id
            entry = Created(delete, tuple(sorted(full.items())), resource_id)
            with self._lock:
                self._pending[(delete.label, entry.path_parameters)] = entry
                self.created += 1
            recorded.append(entry)
        return recorded

    def record_delete(self, operation: Operation, path_parameters: dict[str, Any]) -> None:
        """A 2xx answer to ``operation`` (a DELETE) removed what it names."""
        key = (operation.label, tuple(sorted((str(k), str(v)) for k, v in path_parameters.items())))
        with self._lock:
            self._pending.pop(key, None)

    def pending(self) -> list[Created]:
        """Still to delete, newest first (children before the parents they may belong to)."""
        with self._lock:
            return list(reversed(self._pending.values()))
