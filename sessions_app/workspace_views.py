"""The rapporteur workspace: the sessions a signed-in user is rapporteur of, and the editor
of a session's recommendations document.

Views are thin: who may see and change what is decided by
``sessions_app.recommendation_services`` (``rapporteur_sessions``, ``is_rapporteur``,
``is_organizer``, ``can_edit``), and every write goes through its ``save_draft`` and
``submit``. A user who is neither a rapporteur of the session nor an organizer gets 404,
so the editor does not reveal which sessions exist behind it. A refused write
(``RecommendationsError``, e.g. a colleague saved first) re-renders the editor with the
reason at the top and everything the user typed, so no text is lost.
"""

from functools import cached_property

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from forum.db_errors import WriteGuardMixin
from forum.views import PublishedForumMixin
from sessions_app.models import KeyQuestion, Session
from sessions_app.recommendation_services import (
    RecommendationsError,
    can_edit,
    document_for,
    is_organizer,
    is_rapporteur,
    rapporteur_sessions,
    save_draft,
    submit,
)
from sessions_app.recommendations import Recommendation, RecommendationsDocument
from sessions_app.workspace_forms import DocumentForm, RecommendationForm, RecommendationFormSet

FORMSET_PREFIX = "recommendations"


class MySessionsView(LoginRequiredMixin, TemplateView):
    """ "My sessions as rapporteur": the signed-in user's sessions in published forums, with
    their forum, time (in the forum's time zone) and the state of their document."""

    template_name = "sessions_app/workspace/my_sessions.html"

    def get_context_data(self, **kwargs):
        """Add ``rows``: ``(session, document or None)`` in programme order."""
        sessions = list(
            rapporteur_sessions(self.request.user)
            .filter(forum__is_published=True)
            .select_related("forum")
            .order_by("start", "title")
        )
        documents = {
            document.session_id: document
            for document in RecommendationsDocument.objects.filter(session__in=[s.pk for s in sessions])
        }
        rows = [(session, documents.get(session.pk)) for session in sessions]
        return super().get_context_data(rows=rows, **kwargs)


class EditorView(LoginRequiredMixin, WriteGuardMixin, PublishedForumMixin, TemplateView):
    """The recommendations document of one session: an editor while the user may change it
    (``can_edit``), else the document read-only with its status.

    POST with ``action=save`` stores the draft (``save_draft``); ``action=submit`` stores it
    and submits it for review (``submit``) in one transaction, so a refused submission
    stores nothing either. A write the database refuses (a lock wait timed out, a
    constraint) is undone and shows the editor again with the text as typed
    (``forum.db_errors``).
    """

    template_name = "sessions_app/workspace/editor.html"

    @cached_property
    def session(self) -> Session:
        """The forum's session of the URL; ``Http404`` if there is none or the user is neither
        one of its rapporteurs nor an organizer."""
        session = get_object_or_404(Session.objects.filter(forum=self.forum), slug=self.kwargs["session_slug"])
        user = self.request.user
        if not (is_organizer(user) or is_rapporteur(user, session)):
            raise Http404("No recommendations document for you here.")
        return session

    @cached_property
    def document(self) -> RecommendationsDocument:
        """The session's document, created empty on the first visit."""
        return document_for(self.session, user=self.request.user)

    def forms(self, data=None) -> tuple[DocumentForm, RecommendationFormSet]:
        """The document form and the recommendations formset, bound to ``data`` or showing the
        stored document."""
        form_kwargs = {"session": self.session}
        if data is not None:
            return DocumentForm(data), RecommendationFormSet(data, prefix=FORMSET_PREFIX, form_kwargs=form_kwargs)
        initial = [RecommendationForm.initial_for(row) for row in self.document.recommendations.order_by("order")]
        return (
            DocumentForm(initial=DocumentForm.initial_for(self.document)),
            RecommendationFormSet(initial=initial, prefix=FORMSET_PREFIX, form_kwargs=form_kwargs),
        )

    def get_context_data(self, **kwargs):
        """Add ``session``, ``document``, ``editable`` and, for the read-only page, ``groups``
        of recommendations; for the editor the forms (``form``, ``formset``, ``form_groups``)."""
        editable = can_edit(self.request.user, self.document)
        context = super().get_context_data(session=self.session, document=self.document, editable=editable, **kwargs)
        if "form" not in context and editable:
            context["form"], context["formset"] = self.forms()
        if "formset" in context:
            context["form_groups"] = self.form_groups(context["formset"])
        else:
            context["groups"] = self.recommendation_groups()
        return context

    def post(self, request, *args, **kwargs):
        """Save the draft, and submit it when asked; refusals re-render the editor."""
        form, formset = self.forms(request.POST)
        if not (form.is_valid() and formset.is_valid()):
            return self.refused(form, formset, _("Your text was not saved: correct the fields marked below."))
        submitting = request.POST.get("action") == "submit"
        try:
            with transaction.atomic():
                document = save_draft(
                    document=self.document,
                    user=request.user,
                    expected_version=form.cleaned_data["expected_version"],
                    introduction=form.cleaned_data["introduction"],
                    conclusions=form.cleaned_data["conclusions"],
                    contributors=form.cleaned_data["contributors"],
                    recommendations=formset.ordered_values(),
                )
                if submitting:
                    document = submit(document=document, user=request.user, expected_version=document.version)
        except RecommendationsError as error:
            return self.refused(form, formset, error.message, status=409 if error.code == "conflict" else 200)
        if submitting:
            messages.success(request, _("The recommendations were saved and submitted to the organizers for review."))
        else:
            messages.success(request, _("The draft was saved (version %(version)s).") % {"version": document.version})
        return redirect("workspace:editor", forum_slug=self.forum.slug, session_slug=self.session.slug)

    def write_refused_page(self, message: str):
        """After a write the database refused: the editor again with the forms as posted and
        ``message``, status ``write_refused_status`` (409). ``WriteGuardMixin.write_refused``
        redirects back to the editor, with ``message``, if the database refuses this too."""
        self.__dict__.pop("document", None)  # may have been created in the rolled-back transaction
        form, formset = self.forms(self.request.POST)
        form.is_valid()
        formset.is_valid()
        return self.refused(form, formset, message, status=self.write_refused_status)

    def refused(self, form: DocumentForm, formset: RecommendationFormSet, message: str, status: int = 200):
        """The editor again with ``message`` at the top and the forms as the user filled them."""
        context = self.get_context_data(form=form, formset=formset, refusal=message)
        return self.render_to_response(context, status=status)

    def form_groups(self, formset: RecommendationFormSet) -> list[tuple[KeyQuestion | None, list]]:
        """The formset's forms under headings: each key question of the session (in order),
        then "General", for the recommendations shown; the empty extra forms last, under
        the heading ``"new"``."""
        questions = list(self.session.key_questions.order_by("order"))
        by_pk = {str(question.pk): question for question in questions}
        grouped: dict = {question: [] for question in questions}
        grouped[None], new = [], []
        for position, form in enumerate(formset.forms):
            if position >= formset.initial_form_count() and not (form.is_bound and form.has_changed()):
                new.append(form)
                continue
            grouped[by_pk.get(str(form["key_question"].value() or ""))].append(form)
        groups = [(heading, forms) for heading, forms in grouped.items() if forms]
        return [*groups, ("new", new)] if new else groups

    def recommendation_groups(self) -> list[tuple[KeyQuestion | None, list[Recommendation]]]:
        """The stored recommendations under each key question of the session (in order), then
        the general ones; empty groups left out."""
        rows = list(self.document.recommendations.order_by("order"))
        groups = [
            (question, [row for row in rows if row.key_question_id == question.pk])
            for question in self.session.key_questions.order_by("order")
        ]
        groups.append((None, [row for row in rows if row.key_question_id is None]))
        return [(heading, members) for heading, members in groups if members]
