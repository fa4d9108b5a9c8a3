"""Admin forms and inline formsets for sessions and agendas.

They validate input only: single-row rules live in the models' ``clean()``; what needs
the other rows of the same POST (agenda overlaps, duplicate people, renumbering) lives
here. Times in error messages are printed in the current time zone, which the admin
sets to the forum's zone while it shows and reads these forms.
"""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Max
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from sessions_app.models import AgendaItem, SpeakerRole
from sessions_app.scheduling import overlapping, overlapping_pairs


def _hm(moment: datetime) -> str:
    """``moment`` as HH:MM in the current time zone."""
    return timezone.localtime(moment).strftime("%H:%M")


def _overlap_error(title: str, start: datetime, end: datetime) -> ValidationError:
    return ValidationError(
        "This item overlaps “%(title)s” (%(start)s–%(end)s).",
        code="agenda_overlap",
        params={"title": title, "start": _hm(start), "end": _hm(end)},
    )


class AgendaItemAdminForm(forms.ModelForm):
    """An agenda item on its own page: also refuses an overlap with the session's other items.

    The error goes on ``start`` when the item starts inside another item, else on
    ``end`` (the item runs into the next one).
    """

    class Meta:
        model = AgendaItem
        fields = ["session", "order", "start", "end", "title"]

    def clean(self) -> dict:
        cleaned_data = super().clean()
        session, start, end = (cleaned_data.get(name) for name in ("session", "start", "end"))
        if session is None or start is None or end is None or end <= start:
            return cleaned_data
        siblings = list(session.agenda_items.exclude(pk=self.instance.pk).values_list("title", "start", "end"))
        clashes = overlapping((start, end), [times for _, *times in siblings])
        if clashes:
            title, sibling_start, sibling_end = siblings[clashes[0]]
            field = "start" if start >= sibling_start else "end"
            self.add_error(field, _overlap_error(title, sibling_start, sibling_end))
        return cleaned_data


class NumberedInlineFormSet(BaseInlineFormSet):
    """Inline rows numbered by ``number_field``, a number unique within their parent.

    Django checks the numbers of the submitted rows against each other (a duplicate is
    a form error), then saves the rows one by one. Swapping two numbers, or moving a row
    to the number of a row deleted further down, would then hit the unique constraint
    half-way and raise ``IntegrityError``. So before saving, the rows being renumbered
    or deleted are first moved to spare numbers above every number in use.
    ``number_field`` is None when the numbers may repeat.

    ``handover_keys`` lists the model's other unique field tuples (besides the parent).
    A person or an organization cannot be parked like a number, so an existing row may
    not take a key that a row further down gives up in the same save (a swap); the form
    asks to save in two steps instead.
    """

    number_field: str | None = "order"
    handover_keys: tuple[tuple[str, ...], ...] = ()

    def clean(self) -> None:
        super().clean()
        self._refuse_handovers()

    def save_existing_objects(self, commit: bool = True) -> list:
        if commit:
            self._park_numbers()
        return super().save_existing_objects(commit)

    def live_forms(self) -> list[forms.ModelForm]:
        """Forms that will be saved: filled in, without errors, not marked for deletion."""
        return [
            form
            for form in self.forms
            if form.has_changed() or form in self.initial_forms
            if form.is_valid() and not self._should_delete_form(form)
        ]

    def _refuse_handovers(self) -> None:
        # Django saves existing rows in form order, then new rows: only an existing row
        # taking the key of an existing row further down (changed or deleted) would clash.
        rows = self.initial_forms
        live = self.live_forms()
        for fields in self.handover_keys:
            leaving = {}
            for index, form in enumerate(rows):
                old_key = _key(form.initial, fields)
                if self._should_delete_form(form) or (form.is_valid() and old_key != _key(form.cleaned_data, fields)):
                    leaving[old_key] = index
            for index, form in enumerate(rows):
                if form not in live:
                    continue
                new_key = _key(form.cleaned_data, fields)
                if None in new_key or leaving.get(new_key, -1) <= index:
                    continue
                form.add_error(
                    fields[0],
                    ValidationError(
                        "“%(value)s” stays on a row further down until this form is saved: save that change "
                        "first, then this one.",
                        code="handover",
                        params={"value": form.cleaned_data[fields[0]]},
                    ),
                )

    def _park_numbers(self) -> None:
        field = self.number_field
        if field is None:
            return
        moving = [
            form.instance.pk
            for form in self.initial_forms
            if self._should_delete_form(form) or field in form.changed_data
        ]
        if not moving:
            return
        related = self.model._default_manager.filter(**{self.fk.name: self.instance})
        in_use = [related.aggregate(top=Max(field))["top"] or 0]
        in_use += [form.cleaned_data.get(field) or 0 for form in self.live_forms()]
        # Numbers are distinct and at most max(in_use), so adding max(in_use) + 1 moves
        # every row concerned above all numbers, old and new, without two meeting.
        related.filter(pk__in=moving).update(**{field: F(field) + max(in_use) + 1})


def _key(values: dict, fields: tuple[str, ...]) -> tuple:
    """The values of ``fields`` in ``values``, model instances replaced by their primary keys."""
    return tuple(getattr(values.get(name), "pk", values.get(name)) for name in fields)


class KeyQuestionInlineFormSet(NumberedInlineFormSet):
    """A session's key questions, numbered by ``order``."""


class ReferenceInlineFormSet(NumberedInlineFormSet):
    """A session's footnotes, numbered by ``number``."""

    number_field = "number"


class SessionOrganizerInlineFormSet(NumberedInlineFormSet):
    """A session's organizers: an organization appears once per session; ``order`` may repeat."""

    number_field = None
    handover_keys = (("organization",),)


class AgendaItemInlineFormSet(NumberedInlineFormSet):
    """A session's agenda items, checked against each other.

    Each item is checked against the session's times as posted in the same form (the
    model's ``clean()`` sees the new session values). Here, items that overlap each
    other get an error on the later item's ``start``; rows marked for deletion and rows
    with errors are left out of the comparison.
    """

    def clean(self) -> None:
        super().clean()
        timed = [form for form in self.live_forms() if {"start", "end"} <= form.cleaned_data.keys()]
        intervals = [(form.cleaned_data["start"], form.cleaned_data["end"]) for form in timed]
        for earlier, later in overlapping_pairs(intervals):
            if "start" not in timed[later].errors:
                timed[later].add_error(
                    "start", _overlap_error(timed[earlier].cleaned_data["title"], *intervals[earlier])
                )


class SpeakerRoleInlineFormSet(NumberedInlineFormSet):
    """An agenda item's speaker roles, in ``order``.

    A person may hold a role only once per item (the database allows it once; the
    constraint is conditional, so Django's formset does not compare the rows itself).
    """

    handover_keys = (("person", "role"),)

    def clean(self) -> None:
        super().clean()
        seen = set()
        for form in self.live_forms():
            person, role = form.cleaned_data.get("person"), form.cleaned_data.get("role")
            if person is None or role is None:
                continue
            if (person.pk, role) in seen:
                form.add_error(
                    "person",
                    ValidationError(
                        "%(person)s already appears as %(role)s in this agenda item.",
                        code="duplicate_role",
                        params={"person": person.name, "role": SpeakerRole.Role(role).label},
                    ),
                )
            seen.add((person.pk, role))
