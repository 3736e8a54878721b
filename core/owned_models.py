"""Models whose rows each belong to one user: every change retires that user's version
token (:mod:`core.owner_versions`), so responses kept from their rows are never served stale.

- Saving or deleting a row (``save``, ``create``, the admin, cascades): the row's owner, by
  the ``post_save`` / ``post_delete`` receivers :func:`owner_changes_track` connects.
- ``QuerySet.update``: the owners named by :meth:`OwnedQuerySet.of_owner` or ``of_owners``
  (which also limit the update to their rows); without them, whose rows changed is unknown
  and every kept response is retired. Hot paths (a running job's progress) name their owner.
- ``bulk_create`` / ``bulk_update``: the owners of the objects given.

Rows changed by SQL that does not go through Django are not seen: kept responses then live
at most ``LIST_CACHE_TTL``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Self, TypeVar

from django.db import models
from django.db.models.signals import post_delete, post_save

from core.owner_versions import everyone_changed, owners_changed

M = TypeVar("M", bound=models.Model)


class OwnedQuerySet(models.QuerySet[M]):
    """The queryset of an owned model; ``owner_field`` holds the owning user's id."""

    owner_field: ClassVar[str] = "user_id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owners: frozenset[object] | None = None

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]
        clone._owners = self._owners
        return clone

    def of_owner(self, owner_id: object) -> Self:
        """Only ``owner_id``'s rows; an ``update`` of them retires only that owner's token."""
        return self.of_owners([owner_id])

    def of_owners(self, owner_ids: Iterable[object]) -> Self:
        """Only these owners' rows; an ``update`` of them retires only their tokens."""
        owners = frozenset(owner_ids)
        owned = self.filter(**{f"{self.owner_field}__in": owners})
        owned._owners = owners
        return owned

    def update(self, **kwargs: Any) -> int:
        rows = super().update(**kwargs)
        if rows:
            if self._owners is None:
                everyone_changed()
            else:
                owners_changed(self._owners)
        return rows

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_create(self, objs: Iterable[M], *args: Any, **kwargs: Any) -> list[M]:
        created = super().bulk_create(objs, *args, **kwargs)
        owners_changed(getattr(obj, self.owner_field) for obj in created)
        return created

    def bulk_update(self, objs: Iterable[M], *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        rows = super().bulk_update(objs, *args, **kwargs)
        if rows:
            owners_changed(getattr(obj, self.owner_field) for obj in objs)
        return rows


def owner_changes_track(model: type[models.Model]) -> None:
    """Connect the receivers that retire a row's owner token when it is saved or deleted
    (call from the model's app ``ready``). The model's manager must use an
    :class:`OwnedQuerySet`."""
    queryset_class = getattr(model._default_manager, "_queryset_class", None)
    if queryset_class is None or not issubclass(queryset_class, OwnedQuerySet):
        raise TypeError(f"{model.__name__}'s manager does not use an OwnedQuerySet")
    owner_field = queryset_class.owner_field

    def row_changed(instance: models.Model, **kwargs: Any) -> None:
        owners_changed([getattr(instance, owner_field)])

    uid = f"core.owned_models:{model._meta.label}"
    post_save.connect(row_changed, sender=model, dispatch_uid=f"{uid}:save", weak=False)
    post_delete.connect(row_changed, sender=model, dispatch_uid=f"{uid}:delete", weak=False)
