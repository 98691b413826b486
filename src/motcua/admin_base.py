"""Admin plumbing shared by every app: unit scoping per permission, and validation delegated to
services with the acting user.

- Lists show the rows in the units the user's roles granting *view* reach; a row can be changed or
  deleted only within the reach of roles granting *change* / *delete*.
- Every foreign key and many-to-many choice is limited to what the editor may change, so a posted
  id outside their reach is refused like any invalid choice (autocomplete widgets included).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from motcua.accounts.scope import can_edit_shared, scoped, visible_units
from motcua.org.models import OrgUnit


class ServiceCleanForm(forms.ModelForm):
    """A ModelForm whose business checks come from ``service_clean(instance, actor)``, so the admin
    shows exactly the messages the CLI and the importers give. ``actor`` is set by the admin."""

    service_clean = None
    actor = None

    def _post_clean(self):
        super()._post_clean()
        if self.service_clean is not None and not self.errors:
            try:
                type(self).service_clean(self.instance, self.actor)
            except ValidationError as exc:
                self._update_errors(exc)


def _perm(opts, action: str) -> str:
    return f"{opts.app_label}.{action}_{opts.model_name}"


class _ChoicesMixin:
    """Foreign-key and many-to-many choices limited to what the editor may change."""

    def related_choices(self, request, model):
        if model is OrgUnit:
            return visible_units(request.user, _perm(self.model._meta, "change"))
        related_admin = self.admin_site._registry.get(model)
        if isinstance(related_admin, ScopedAdmin):
            return related_admin.editable_queryset(request)
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = self.related_choices(request, db_field.related_model)
        if choices is not None and "queryset" not in kwargs:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        choices = self.related_choices(request, db_field.related_model)
        if choices is not None and "queryset" not in kwargs:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ActorAdmin(admin.ModelAdmin):
    """Hands the acting user to the form, for services that check who is acting."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form


class ScopedAdmin(_ChoicesMixin, ActorAdmin):
    scope_fields: tuple[str, ...] = ()
    scope_include_unassigned = False  # rows without a unit are shared: all may view, few may change

    def _scoped(self, request, action: str):
        perm = _perm(self.model._meta, action)
        shared = self.scope_include_unassigned and (action == "view" or can_edit_shared(request.user, perm))
        return scoped(super().get_queryset(request), request.user, *self.scope_fields, perm=perm,
                      include_unassigned=shared)

    def get_queryset(self, request):
        return self._scoped(request, "view")

    def editable_queryset(self, request):
        return self._scoped(request, "change")

    def object_editable(self, request, obj) -> bool:
        """Beyond the unit: is this object in a state that may change (e.g. only drafts)?"""
        return True

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or (self.object_editable(request, obj)
                               and self.editable_queryset(request).filter(pk=obj.pk).exists())

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or (self.object_editable(request, obj)
                               and self._scoped(request, "delete").filter(pk=obj.pk).exists())

class ScopedInline(_ChoicesMixin):
    """An inline is editable exactly when its parent object is."""

    def _parent_editable(self, request, obj) -> bool:
        parent_admin = self.admin_site._registry.get(self.parent_model)
        return obj is None or parent_admin is None or parent_admin.has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._parent_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._parent_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._parent_editable(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.actor = request.user
        formset.actor = request.user
        return formset
