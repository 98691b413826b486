"""Admin plumbing shared by every app: unit scoping and validation delegated to services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from motcua.accounts.scope import scoped, visible_units
from motcua.org.models import OrgUnit


class ServiceCleanForm(forms.ModelForm):
    """A ModelForm whose business checks come from a service function ``service_clean(instance)``,
    so the admin shows exactly the messages the CLI and the importers give."""

    service_clean = None

    def _post_clean(self):
        super()._post_clean()
        if self.service_clean is not None and not self.errors:
            try:
                type(self).service_clean(self.instance)
            except ValidationError as exc:
                self._update_errors(exc)


class UnitScopedAdminMixin:
    """Lists and pickers show only the units the staff user may see: one SQL predicate."""

    scope_fields: tuple[str, ...] = ()
    scope_include_unassigned = False

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user, *self.scope_fields,
                      include_unassigned=self.scope_include_unassigned)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is OrgUnit:
            kwargs["queryset"] = visible_units(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is OrgUnit:
            kwargs["queryset"] = visible_units(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
