"""The QĐ 766 weights in the admin (system administrators): one version per date it takes effect,
its six group maxima and, inline, each indicator's points and threshold. The rules that they add up
are ``index766.scoring.validate_weights``; who saved a version and when is kept on it (and in the
admin's history)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from motcua.reports.index766.scoring import DEFAULT_WEIGHTS, GROUPS, INDICATORS, validate_weights
from motcua.reports.models import GROUP_FIELDS, IndexConfig, IndicatorWeight


class WeightFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        points, threshold, seen = {}, {}, set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            key = data["indicator"]
            if key in seen:
                raise ValidationError(f"Chỉ số {key} được khai báo hai lần.")
            seen.add(key)
            points[key], threshold[key] = data["points"], data["threshold"]
        missing = [i.id for i in INDICATORS if i.id not in seen]
        if missing:
            raise ValidationError("Thiếu trọng số của các chỉ số: " + ", ".join(missing) + ".")
        # The config form was validated first; its values are on the instance being saved.
        group_max = {g.code: getattr(self.instance, GROUP_FIELDS[g.code]) for g in GROUPS}
        if any(v is None for v in group_max.values()):
            return
        errors = validate_weights(group_max, points, threshold)
        if errors:
            raise ValidationError(errors)


class WeightForm(forms.ModelForm):
    def has_changed(self):
        return True   # a new version's rows are prefilled: saved even when left as they were


class WeightInline(admin.TabularInline):
    model = IndicatorWeight
    form = WeightForm
    formset = WeightFormSet
    fields = ["indicator", "points", "threshold"]
    can_delete = False
    max_num = len(INDICATORS)

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None else len(INDICATORS)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is None:  # a new version starts from the one in force today
            latest = IndexConfig.objects.filter(effective_from__lte=timezone.localdate()).first()
            current = {w.indicator: w for w in latest.weights.all()} if latest else {}
            initial = [{"indicator": i.id,
                        "points": current[i.id].points if i.id in current else DEFAULT_WEIGHTS.points[i.id],
                        "threshold": current[i.id].threshold if i.id in current else DEFAULT_WEIGHTS.threshold[i.id]}
                       for i in INDICATORS]

            class WithInitial(formset):
                def __init__(self, *args, **kw):
                    kw.setdefault("initial", initial)
                    super().__init__(*args, **kw)
            return WithInitial
        return formset


@admin.register(IndexConfig)
class IndexConfigAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "note", *GROUP_FIELDS.values(), "changed_by", "changed_at"]
    readonly_fields = ["changed_by", "changed_at"]
    fields = ["effective_from", "note", *GROUP_FIELDS.values(), "changed_by", "changed_at"]
    inlines = [WeightInline]
    save_as = True   # "Lưu thành bản mới": a new version from this one, with its own date

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        latest = IndexConfig.objects.filter(effective_from__lte=timezone.localdate()).first()
        for g in GROUPS:
            field = GROUP_FIELDS[g.code]
            initial.setdefault(field, getattr(latest, field) if latest else Decimal(g.default_max))
        return initial

    def save_model(self, request, obj, form, change):
        obj.changed_by, obj.changed_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)
