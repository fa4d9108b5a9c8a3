"""Admin forms and inline formsets for sessions and agendas.

They validate input only: single-row rules live in the models' ``clean()``; what needs
the other rows of the same POST (agenda overlaps and numbering, duplicate people,
renumbering, footnotes cited in the session's context) lives here. Times in error
messages are printed in the current time zone, which the admin sets to the forum's zone
while it shows and reads these forms.
"""

from datetime import datetime
from itertools import islice

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forum import caching
from forum.formsets import LiveFormsInlineFormSet
from sessions_app.models import MAX_NUMBER, AgendaItem, SpeakerRole
from sessions_app.scheduling import misnumbered_pairs, overlapping, overlapping_pairs

"""A footnote marker ``[^N]`` in a session's context; group 1 is N."""


def _hm(moment: datetime) -> str:
    """``moment`` as HH:MM in the current time zone."""
    return timezone.localtime(moment).strftime("%H:%M")


def _overlap_error(title: str, start: datetime, end: datetime) -> ValidationError:
    return ValidationError(
        _("This item overlaps “%(title)s” (%(start)s–%(end)s)."),
        code="agenda_overlap",
        params={"title": title, "start": _hm(start), "end": _hm(end)},
    )


def _misnumbered_error(number: int, other: int) -> ValidationError:
    """The error for agenda item ``number`` starting before item ``other`` (a lower number)."""
    return ValidationError(
        _("Number the agenda items in time order: item %(number)s starts before item %(other)s."),
        code="misnumbered",
        params={"number": number, "other": other},
    )


class AgendaItemAdminForm(forms.ModelForm):
    """An agenda item on its own page, checked against the session's other items.

    An overlap with another item is an error on ``start`` when the item starts inside
    the other one, else on ``end`` (the item runs into the next one). A number that
    contradicts the times (a lower number than an item that starts earlier, or the
    reverse) is an error on ``order``.
    """

    class Meta:
        model = AgendaItem
        fields = ["session", "order", "start", "end", "title"]

    def clean(self) -> dict:
        cleaned_data = super().clean()
        session, order, start, end = (cleaned_data.get(name) for name in ("session", "order", "start", "end"))
        if session is None or start is None or end is None or end <= start:
            return cleaned_data
        siblings = list(session.agenda_items.exclude(pk=self.instance.pk))
        clashes = overlapping((start, end), [(sibling.start, sibling.end) for sibling in siblings])
        if clashes:
            sibling = siblings[clashes[0]]
            field = "start" if start >= sibling.start else "end"
            self.add_error(field, _overlap_error(sibling.title, sibling.start, sibling.end))
        if order is not None:
            numbered = [(sibling.order, sibling.start) for sibling in siblings] + [(order, start)]
            this = len(siblings)
            pair = next((pair for pair in misnumbered_pairs(numbered) if this in pair), None)
            if pair:
                lower, higher = pair
                self.add_error("order", _misnumbered_error(numbered[higher][0], numbered[lower][0]))
        return cleaned_data


class NumberedInlineFormSet(LiveFormsInlineFormSet):
    """Inline rows numbered by ``number_field``, a number unique within their parent.

    Validation refuses a stale list: when the parent has rows in the database that are
    not among the formset's initial forms, or an initial form's row is gone, the page
    was loaded before another save (a second click on Save, another tab). Saving it
    would hit a unique constraint or slip past the checks among rows, so it is a
    non-form error (code ``stale``) and nothing is saved.

    Saving then avoids the unique constraints that Django's row-by-row save would hit
    half-way through a swap:

    * ``swap_key`` names the model's other unique fields (besides the parent), e.g. the
      organization of a session organizer. Rows of such a list are interchangeable
      (nothing refers to them), so a form that takes a key held by another row of the
      list (two organizations swapped, a deleted row's person given to another row) is
      saved onto the row that holds that key; the other forms keep their own rows
      where they can and take the rows left over otherwise.
    * Rows whose number changes, and rows to delete, are first parked on spare numbers
      above ``MAX_NUMBER``, which no valid row uses, within the column's range.
      ``number_field`` is None when the numbers may repeat.
    """

    number_field: str | None = "order"
    swap_key: tuple[str, ...] = ()

    def clean(self) -> None:
        self._refuse_stale_list()
        super().clean()

    def save_existing_objects(self, commit: bool = True) -> list:
        if commit:
            self._keep_keys_on_their_rows()
            self._park_numbers()
        return super().save_existing_objects(commit)

    def _refuse_stale_list(self) -> None:
        """Raise ``ValidationError`` (code ``stale``) when the parent's stored rows are not
        exactly the rows of the initial forms."""
        if self.instance.pk is None:
            return
        shown = {form.instance.pk for form in self.initial_forms}
        if None in shown or any(row.pk not in shown for row in self.get_queryset()):
            raise ValidationError(
                _(
                    "This list changed since the page was loaded (perhaps a second click on Save or another tab). "
                    "Reload the page and make your change again."
                ),
                code="stale",
            )

    def _keep_keys_on_their_rows(self) -> None:
        """Point each initial form at the row it is saved onto, so that no ``swap_key``
        is ever held by two rows (see the class docstring)."""
        if not self.swap_key:
            return
        initial = self.initial_forms
        holders = {_key(form.initial, self.swap_key): form.instance.pk for form in initial}
        rows = {}
        for form in initial:
            if self._should_delete_form(form):
                continue
            new_key = _key(form.cleaned_data, self.swap_key)
            if None not in new_key and new_key in holders:
                rows[form] = holders[new_key]
        left_over = [form.instance.pk for form in initial if form.instance.pk not in rows.values()]
        others = [form for form in initial if form not in rows]
        for form in others:
            if form.instance.pk in left_over:
                rows[form] = form.instance.pk
                left_over.remove(form.instance.pk)
        for form in others:
            if form not in rows:
                rows[form] = left_over.pop(0)
        for form, pk in rows.items():
            form.instance.pk = pk

    def _park_numbers(self) -> None:
        """Move the rows whose number changes, and the rows to delete, to distinct numbers
        above ``MAX_NUMBER`` that no row of the parent holds (in one UPDATE)."""
        field = self.number_field
        if field is None:
            return
        related = self.model._default_manager.filter(**{self.fk.name: self.instance})
        stored = dict(related.values_list("pk", field))
        deleted = self.deleted_forms
        new = {form.instance.pk: form.cleaned_data[field] for form in self.initial_forms if form not in deleted}
        gone = {form.instance.pk for form in deleted}
        moving = [pk for pk, number in stored.items() if pk in gone or new.get(pk, number) != number]
        if not moving:
            return
        top = connections[related.db].ops.integer_field_range(self.model._meta.get_field(field).get_internal_type())[1]
        in_use = set(stored.values())
        spare = (number for number in range(MAX_NUMBER + 1, top + 1) if number not in in_use)
        parked = dict(zip(moving, islice(spare, len(moving)), strict=True))
        related.filter(pk__in=parked).update(
            **{field: Case(*(When(pk=pk, then=Value(number)) for pk, number in parked.items()))}
        )
        caching.bump()  # QuerySet.update sends no model signals


def _key(values: dict, fields: tuple[str, ...]) -> tuple:
    """The values of ``fields`` in ``values``, model instances replaced by their primary keys."""
    return tuple(getattr(values.get(name), "pk", values.get(name)) for name in fields)


class KeyQuestionInlineFormSet(NumberedInlineFormSet):
    """A session's key questions, numbered by ``order``."""


class ReferenceInlineFormSet(NumberedInlineFormSet):
    """A session's footnotes, numbered by ``number``.

    Every marker ``[^N]`` in the session's context (as posted in the same form) needs a
    footnote N among the rows being saved; the numbers missing are a non-form error
    (code ``missing_footnote``). The check waits until every number is valid.
    """

    number_field = "number"

    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if (form.has_changed() or form in self.initial_forms) and not self._should_delete_form(form)
        ]
        if any("number" in form.errors for form in kept):
            return
        missing = sorted(self.instance.cited_footnotes - {form.cleaned_data.get("number") for form in kept})
        if missing:
            raise ValidationError(
                ngettext(
                    "The context cites footnote %(numbers)s, but no footnote below has that number. "
                    "Add it here or correct the marker in the context.",
                    "The context cites footnotes %(numbers)s, but no footnotes below have these numbers. "
                    "Add them here or correct the markers in the context.",
                    len(missing),
                ),
                code="missing_footnote",
                params={"numbers": get_text_list([str(number) for number in missing], _("and"))},
            )


class SessionOrganizerInlineFormSet(NumberedInlineFormSet):
    """A session's organizers: an organization appears once per session; ``order`` may repeat."""

    number_field = None
    swap_key = ("organization",)


class AgendaItemInlineFormSet(NumberedInlineFormSet):
    """A session's agenda items, checked against each other.

    Each item is checked against the session's times as posted in the same form (the
    model's ``clean()`` sees the new session values). Here, items that overlap each
    other get an error on the later item's ``start``, and an item numbered after one
    that starts later gets an error on its ``order``; rows marked for deletion and rows
    with errors are left out of the comparison.
    """

    def clean(self) -> None:
        super().clean()
        live = self.live_forms()
        timed = [form for form in live if {"start", "end"} <= form.cleaned_data.keys()]
        intervals = [(form.cleaned_data["start"], form.cleaned_data["end"]) for form in timed]
        for earlier, later in overlapping_pairs(intervals):
            if "start" not in timed[later].errors:
                timed[later].add_error("start", _overlap_error(timed[earlier].instance.title, *intervals[earlier]))
        numbered = [form for form in live if {"order", "start"} <= form.cleaned_data.keys()]
        entries = [(form.cleaned_data["order"], form.cleaned_data["start"]) for form in numbered]
        for lower, higher in misnumbered_pairs(entries):
            if "order" not in numbered[higher].errors:
                numbered[higher].add_error("order", _misnumbered_error(entries[higher][0], entries[lower][0]))


class SpeakerRoleInlineFormSet(NumberedInlineFormSet):
    """An agenda item's speaker roles, in ``order``.

    A person may hold a role only once per item (the database allows it once; the
    constraint is conditional, so Django's formset does not compare the rows itself).
    """

    swap_key = ("person", "role")

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
                        _("%(person)s already appears as %(role)s in this agenda item."),
                        code="duplicate_role",
                        params={"person": person.name, "role": SpeakerRole.Role(role).label},
                    ),
                )
            seen.add((person.pk, role))
